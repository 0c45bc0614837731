// Placeholder C API over libsentencepiece; implemented by the SentencePiece work (issue 4).
#ifndef CSENTENCEPIECE_H
#define CSENTENCEPIECE_H
#ifdef __cplusplus
extern "C" {
#endif
int csp_version(void);
#ifdef __cplusplus
}
#endif
#endif

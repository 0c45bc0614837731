// A small C API over libsentencepiece's C++ SentencePieceProcessor, so Swift needs no C++ interop.
#ifndef CSENTENCEPIECE_H
#define CSENTENCEPIECE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct csp_processor csp_processor;

/// Loads a tokenizer.model. On failure returns NULL and sets *error to a malloc'd message (free with csp_free_string).
csp_processor *csp_load(const char *path, char **error);
void csp_free(csp_processor *processor);
void csp_free_string(char *string);

/// Encodes UTF-8 text to ids. Returns the number of ids written to *ids (malloc'd; free with csp_free_ids),
/// or -1 on error.
long csp_encode(const csp_processor *processor, const char *text, size_t length, int **ids);
void csp_free_ids(int *ids);

int csp_vocab_size(const csp_processor *processor);
/// The piece of `id` (UTF-8, malloc'd; free with csp_free_string), or NULL for an invalid id.
char *csp_id_to_piece(const csp_processor *processor, int id);
/// The id of a piece, or the unknown id when absent.
int csp_piece_to_id(const csp_processor *processor, const char *piece);
int csp_bos_id(const csp_processor *processor);
int csp_eos_id(const csp_processor *processor);
int csp_unk_id(const csp_processor *processor);
int csp_pad_id(const csp_processor *processor);
/// Piece kinds: 1 normal, 2 unknown, 3 control, 4 user defined, 5 byte (<0xNN>), 6 unused.
int csp_piece_kind(const csp_processor *processor, int id);

#ifdef __cplusplus
}
#endif
#endif

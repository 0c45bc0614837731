#include "csentencepiece.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <sentencepiece_processor.h>

struct csp_processor {
    sentencepiece::SentencePieceProcessor processor;
};

static char *copy_string(const std::string &value) {
    char *result = static_cast<char *>(std::malloc(value.size() + 1));
    if (result) std::memcpy(result, value.c_str(), value.size() + 1);
    return result;
}

extern "C" csp_processor *csp_load(const char *path, char **error) {
    auto *handle = new csp_processor();
    const auto status = handle->processor.Load(path);
    if (!status.ok()) {
        if (error) *error = copy_string(status.ToString());
        delete handle;
        return nullptr;
    }
    return handle;
}

extern "C" void csp_free(csp_processor *processor) { delete processor; }
extern "C" void csp_free_string(char *string) { std::free(string); }
extern "C" void csp_free_ids(int *ids) { std::free(ids); }

extern "C" long csp_encode(const csp_processor *processor, const char *text, size_t length, int **ids) {
    std::vector<int> result;
    if (!processor->processor.Encode(std::string(text, length), &result).ok()) return -1;
    *ids = static_cast<int *>(std::malloc(sizeof(int) * (result.empty() ? 1 : result.size())));
    if (!*ids) return -1;
    std::memcpy(*ids, result.data(), sizeof(int) * result.size());
    return static_cast<long>(result.size());
}

extern "C" int csp_vocab_size(const csp_processor *processor) { return processor->processor.GetPieceSize(); }

extern "C" char *csp_id_to_piece(const csp_processor *processor, int id) {
    if (id < 0 || id >= processor->processor.GetPieceSize()) return nullptr;
    return copy_string(processor->processor.IdToPiece(id));
}

extern "C" int csp_piece_to_id(const csp_processor *processor, const char *piece) {
    return processor->processor.PieceToId(piece);
}

extern "C" int csp_bos_id(const csp_processor *processor) { return processor->processor.bos_id(); }
extern "C" int csp_eos_id(const csp_processor *processor) { return processor->processor.eos_id(); }
extern "C" int csp_unk_id(const csp_processor *processor) { return processor->processor.unk_id(); }
extern "C" int csp_pad_id(const csp_processor *processor) { return processor->processor.pad_id(); }

extern "C" int csp_piece_kind(const csp_processor *processor, int id) {
    const auto &p = processor->processor;
    if (id < 0 || id >= p.GetPieceSize()) return 0;
    if (p.IsUnknown(id)) return 2;
    if (p.IsControl(id)) return 3;
    if (p.IsByte(id)) return 5;
    if (p.IsUnused(id)) return 6;
    return 1;  // normal and user-defined pieces decode the same way
}

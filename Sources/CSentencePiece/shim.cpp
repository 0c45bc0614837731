#include "csentencepiece.h"
#include <sentencepiece_processor.h>
extern "C" int csp_version(void) { return 1; }

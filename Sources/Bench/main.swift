import Foundation

// Benchmarks print numbers for the README; they assert nothing. Run them in release builds:
//   swift run -c release bench tokenizer [FILE]
//   swift run -c release bench model
//   swift run -c release bench matmul
//   swift run -c release bench mixed
//   swift run -c release bench perplexity --dtype q8_0,q4_0 --ctx 512
//   swift run -c release bench grammar [--rounds N]
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "tokenizer": runTokenizerBenchmark(Array(arguments.dropFirst()))
case "model": runModelBenchmark(Array(arguments.dropFirst()))
case "mixed": runMixedBenchmark(Array(arguments.dropFirst()))
case "matmul": runMatmulBenchmark(Array(arguments.dropFirst()))
case "perplexity": runPerplexityBenchmark(Array(arguments.dropFirst()))
case "model-matmul": runModelMatmulBenchmark(Array(arguments.dropFirst()))
case "quant-error": runQuantizationErrorBenchmark(Array(arguments.dropFirst()))
case "grammar": runGrammarBenchmark(Array(arguments.dropFirst()))
default:
    FileHandle.standardError.write(Data("usage: bench tokenizer [FILE] | bench model [--dtype bf16|q8_0|q4_0] [--kv-dtype f32|f16] [--prompt-tokens N] [--decode-tokens N] | bench matmul [--dtype q8_0|q4_0] [--rows 1,16,64] | bench model-matmul [--dtype q4_0] [--rows 1,9,16] | bench quant-error [--dtype q4_0] [--tokens FILE] | bench mixed [--decodes 15] [--chunk 64] | bench perplexity [--model DIR] [--text FILE] [--dtype q8_0,q4_0] [--ctx 512] [--chunks N] | bench grammar [--rounds N]\n".utf8))
    exit(2)
}

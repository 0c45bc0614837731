func runTokenizerBenchmark(_ arguments: [String]) { print("tokenizer benchmark: not yet") }

using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Portal.Benchmarks [-- --filter '*']
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

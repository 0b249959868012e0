using BenchmarkDotNet.Running;
using Portal.Benchmarks;

// dotnet run -c Release --project tests/Portal.Benchmarks [-- --filter '*']
// dotnet run -c Release --project tests/Portal.Benchmarks -- --paired [rounds]   (the run against bare scoring, in pairs)
if (args is ["--paired", ..])
{
    PairedRunComparison.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

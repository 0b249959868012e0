using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Portal.Core.Templates;
using Portal.Inference.Templates;

namespace Portal.Training;

/// <summary>
/// Trains one template reproducibly: stratified 80/20 split with a fixed seed, ML.NET pipeline, ONNX export, metrics
/// computed from the ONNX model's own scores, ML.NET↔ONNX parity, calibration, permutation importance, comparisons.
/// </summary>
internal sealed class TemplateTrainer(TemplateSpec spec, string dataRoot, string outputRoot, TextWriter log)
{
    public const int Seed = 42;
    private const string Label = "Label";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private sealed record Fitted(ITransformer Model, IDataView TrainNoLabel, float[] ValidationScores);

    /// <summary>Temporary train/validation files; ML.NET reads them lazily, so they live until <see cref="Train"/> ends.</summary>
    private readonly List<DirectoryInfo> _temporary = [];

    /// <summary>A hyper-parameter from the spec, or the learner's default.</summary>
    private T Parameter<T>(string name, T fallback) =>
        spec.HyperParameters.TryGetValue(name, out var text)
            ? (T)Convert.ChangeType(text, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), CultureInfo.InvariantCulture)
            : fallback;

    private bool Classification => spec.Kind == TemplateKinds.TabularClassification;

    public ModelCard Train()
    {
        try
        {
            return TrainCore();
        }
        finally
        {
            foreach (var folder in _temporary)
            {
                folder.Delete(recursive: true);
            }
        }
    }

    private ModelCard TrainCore()
    {
        var table = CsvTable.Read(Path.Combine(dataRoot, spec.Dataset, spec.Dataset + ".csv"));
        var labelIndex = table.Index(spec.LabelColumn);
        var features = table.Header.Where(h => h != spec.LabelColumn).ToList();
        var (train, validation) = Split(table.Rows, labelIndex);
        log.WriteLine($"{spec.Id}: {table.Rows.Count} rows, {train.Count} train / {validation.Count} validation, {features.Count} features");

        var inputs = DescribeInputs(table, features, train);
        var folder = Path.Combine(outputRoot, spec.Id);
        Directory.CreateDirectory(folder);
        var fitted = Fit(table, features, inputs, train, validation);
        var onnxPath = Path.Combine(folder, "model.onnx");
        var ml = new MLContext(Seed);
        using (var stream = File.Create(onnxPath))
        {
            ml.Model.ConvertToOnnx(fitted.Model, fitted.TrainNoLabel, stream);
        }

        var manifest = new TemplateManifest
        {
            Id = spec.Id,
            Industry = spec.Industry,
            Kind = spec.Kind,
            ModelVersion = "1." + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(onnxPath)))[..8],
            Title = spec.Title,
            Description = spec.Description,
            Disclaimer = spec.Disclaimer,
            Inputs = inputs,
            Output = spec.Output!,
        };

        using var onnx = new TabularModel(onnxPath, manifest);
        var validationRows = validation.Select(table.Row).ToList();
        var scores = onnx.Score(Batch(manifest, validationRows));
        var parity = scores.Zip(fitted.ValidationScores).Max(p => Math.Abs(p.First - p.Second));
        var actualPositive = validation.Select(r => spec.IsPositive?.Invoke(r[labelIndex]) ?? false).ToList();
        var actualValue = validation.Select(r => Classification ? 0 : double.Parse(r[labelIndex], CultureInfo.InvariantCulture)).ToList();
        ModelMetrics Evaluate(float[] s) => Classification ? MetricsCalculator.Classification(actualPositive, s) : MetricsCalculator.Regression(actualValue, s);

        var metrics = Evaluate(scores);
        log.WriteLine($"{spec.Id}: {Describe(metrics)}; ONNX parity max |Δ| = {parity:G3}");

        var card = new ModelCard
        {
            TemplateId = spec.Id,
            ModelVersion = manifest.ModelVersion,
            Data = new DataSourceInfo(spec.DataSourceName, $"src/Portal.Training/Data/{spec.Dataset} (see its README)", spec.Licence, spec.Citation, table.Rows.Count, train.Count, validation.Count),
            Training = new TrainingInfo(spec.Learner.ToString(), HyperParameters(), Seed, features, "ML.NET 5.0.1 → ONNX (Microsoft.ML.OnnxConverter 0.23.1)"),
            Validation = metrics,
            Comparisons = [.. spec.Comparisons.Select(c => Compare(c, table, features, inputs, train, validation, validationRows, Evaluate))],
            Calibration = Classification ? Calibrate(actualPositive, scores) : [],
            ValidationPoints = Classification ? [] : [.. actualValue.Select((a, i) => new PredictionPoint(a, Math.Round(scores[i], 2)))],
            Importance = Importance(onnx, manifest, validationRows, Evaluate),
            OnnxParityMaxAbsDiff = parity,
            HowObtained = HowObtained(table.Rows.Count, train.Count, validation.Count, inputs.Any(i => i.Categories is not null)),
        };

        File.WriteAllText(Path.Combine(folder, "template.json"), JsonSerializer.Serialize(manifest, Json));
        File.WriteAllText(Path.Combine(folder, "model-card.json"), JsonSerializer.Serialize(card, Json));
        CsvTable.Write(Path.Combine(folder, "sample.csv"), table.Header, validation.Take(20));
        CsvTable.Write(
            Path.Combine(folder, "validation.csv"),
            [.. table.Header, "mlnet_score"],
            validation.Select((r, i) => r.Append(fitted.ValidationScores[i].ToString("R", CultureInfo.InvariantCulture))));
        return card;
    }

    private static string Describe(ModelMetrics m) => m.Auc is not null
        ? $"AUC {m.Auc:F3}, accuracy {m.Accuracy:F3}, F1 {m.F1:F3}"
        : $"R² {m.RSquared:F3}, RMSE {m.Rmse:F2}, MAE {m.Mae:F2}";

    private Dictionary<string, string> HyperParameters() =>
        spec.HyperParameters.Count > 0 ? new(spec.HyperParameters) : new() { ["defaults"] = "ML.NET defaults", ["NumberOfThreads"] = "1" };

    /// <summary>80/20, seeded; classification keeps each class's share in both parts.</summary>
    private (List<string[]> Train, List<string[]> Validation) Split(IReadOnlyList<string[]> rows, int labelIndex)
    {
        var random = new Random(Seed);
        var groups = Classification
            ? rows.GroupBy(r => spec.IsPositive!(r[labelIndex])).OrderBy(g => g.Key).Select(g => g.ToList())
            : [rows.ToList()];
        List<string[]> train = [], validation = [];
        foreach (var group in groups)
        {
            var shuffled = group.OrderBy(_ => random.Next()).ToList();
            var cut = (int)Math.Round(shuffled.Count * 0.2);
            validation.AddRange(shuffled.Take(cut));
            train.AddRange(shuffled.Skip(cut));
        }

        return (train, validation);
    }

    /// <summary>How the card's figures were obtained, in English and Simplified Chinese.</summary>
    private LocalizedText HowObtained(int rows, int trainRows, int validationRows, bool categories)
    {
        var metric = Classification ? "AUC" : "R²";
        var en =
            $"The {rows} rows shared for training were split 80/20 with seed {Seed}" + (Classification ? ", stratified by class" : string.Empty) +
            $"; the model was trained on the {trainRows} training rows only, exported to ONNX, and every figure here was computed from the ONNX model's scores on the {validationRows} held-out rows" +
            (Classification ? " (threshold 0.5 for the confusion matrix)" : string.Empty) +
            $". Importance is the mean drop in {metric} over 3 random shuffles of each column. The data set's other 20 % (not in this repository) was not used." +
            (categories ? " Category columns are one-hot encoded in the order of their categories in template.json; the ONNX model takes each as a float vector of that width and numbers as float [rows, 1]." : string.Empty) +
            (spec.Tuning is { } tuning ? " " + tuning.En : string.Empty);
        var zh =
            $"用于训练的 {rows} 行按 80/20 划分（随机种子 {Seed}" + (Classification ? "，按类别分层" : string.Empty) +
            $"）；模型只用其中 {trainRows} 行训练并导出为 ONNX，此处每个数字都由 ONNX 模型对留出的 {validationRows} 行的评分算出" +
            (Classification ? "（混淆矩阵的阈值为 0.5）" : string.Empty) +
            $"。重要性是每列随机打乱 3 次后 {metric} 的平均下降。数据集其余 20 %（不在本仓库中）未被使用。" +
            (categories ? "类别列按 template.json 中类别的顺序做独热编码；ONNX 模型把每个类别列作为该宽度的浮点向量、把数值作为 float [rows, 1] 接收。" : string.Empty) +
            (spec.Tuning is { } tuningZh ? tuningZh.ZhCn : string.Empty);
        return new LocalizedText(en, zh);
    }

    private List<InputColumn> DescribeInputs(CsvTable table, List<string> features, List<string[]> train)
    {
        var inputs = new List<InputColumn>();
        foreach (var name in features)
        {
            var index = table.Index(name);
            var all = table.Rows.Select(r => r[index]).ToList();
            var trainValues = train.Select(r => r[index]).ToList();
            var (description, unit) = spec.Columns.TryGetValue(name, out var d) ? d : (new LocalizedText(name, name), null);
            if (all.All(CsvTable.IsNumber))
            {
                var numbers = all.Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList();
                var integral = numbers.All(n => Math.Abs(n - Math.Round(n)) < 1e-9);
                var (min, max) = spec.Ranges.TryGetValue(name, out var range) ? range : DeriveRange(numbers.Min(), numbers.Max());
                var median = trainValues.Select(v => double.Parse(v, CultureInfo.InvariantCulture)).Order().ToList() is var sorted ? sorted[sorted.Count / 2] : 0;
                inputs.Add(new InputColumn
                {
                    Name = name, Type = integral ? InputType.Integer : InputType.Number, Unit = unit, Min = min, Max = max,
                    Description = description, Baseline = median.ToString("R", CultureInfo.InvariantCulture),
                });
            }
            else
            {
                var mode = trainValues.GroupBy(v => v).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
                inputs.Add(new InputColumn
                {
                    Name = name, Type = InputType.Category, Unit = unit, Categories = [.. all.Distinct().Order(StringComparer.Ordinal)],
                    Description = description, Baseline = mode,
                });
            }
        }

        return inputs;
    }

    /// <summary>Allowed range from the data: from 0 (or below the minimum by the observed span) to the maximum plus the span.</summary>
    private static (double Min, double Max) DeriveRange(double min, double max)
    {
        var span = Math.Max(max - min, Math.Abs(max) * 0.1);
        return (min >= 0 ? 0 : Round(min - span), Round(max + span));
    }

    private static double Round(double v) => double.Parse(v.ToString("G3", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private Fitted Fit(CsvTable table, IReadOnlyList<string> features, IReadOnlyList<InputColumn> inputs, List<string[]> train, List<string[]> validation)
    {
        var ml = new MLContext(Seed);
        var temp = Directory.CreateTempSubdirectory("portal-training-");
        try
        {
            var labelIndex = table.Index(spec.LabelColumn);
            var byName = inputs.ToDictionary(i => i.Name);

            // Categories are one-hot encoded here, in the manifest's order, so that the exported model takes only
            // numbers: a category column becomes one float vector input of width K (the portal builds it from the
            // category's position), and no strings have to be marshalled into ONNX Runtime at scoring time.
            IEnumerable<string> Cells(string[] r) => features.SelectMany(f => byName[f].Categories is { } categories
                ? categories.Select(c => c == r[table.Index(f)] ? "1" : "0")
                : [r[table.Index(f)]]);
            string LabelCell(string[] r) => Classification ? (spec.IsPositive!(r[labelIndex]) ? "true" : "false") : r[labelIndex];
            var header = features.SelectMany(f => byName[f].Categories is { } categories ? categories.Select(c => f + "=" + c) : [f]);
            var trainPath = Path.Combine(temp.FullName, "train.csv");
            var validationPath = Path.Combine(temp.FullName, "validation.csv");
            CsvTable.Write(trainPath, [.. header, Label], train.Select(r => Cells(r).Append(LabelCell(r))));
            CsvTable.Write(validationPath, [.. header, Label], validation.Select(r => Cells(r).Append(LabelCell(r))));

            var columns = new List<TextLoader.Column>();
            var at = 0;
            foreach (var f in features)
            {
                var width = byName[f].Categories?.Count ?? 1;
                columns.Add(byName[f].Categories is null
                    ? new TextLoader.Column(f, DataKind.Single, at)
                    : new TextLoader.Column(f, DataKind.Single, [new TextLoader.Range(at, at + width - 1)]));
                at += width;
            }

            columns.Add(new TextLoader.Column(Label, Classification ? DataKind.Boolean : DataKind.Single, at));
            var loader = ml.Data.CreateTextLoader(new TextLoader.Options { Columns = [.. columns], HasHeader = true, Separators = [','] });
            var trainView = loader.Load(trainPath);
            var validationView = loader.Load(validationPath);
            IEstimator<ITransformer> pipeline = ml.Transforms.Concatenate("Features", [.. features]);

            IEstimator<ITransformer> estimator = spec.Learner switch
            {
                Learner.SdcaLogistic => (IEstimator<ITransformer>)pipeline.Append(ml.Transforms.NormalizeMinMax("Features"))
                    .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression(new SdcaLogisticRegressionBinaryTrainer.Options
                    {
                        NumberOfThreads = 1,
                        ConvergenceTolerance = Parameter("ConvergenceTolerance", 0.1f),
                        MaximumNumberOfIterations = Parameter<int?>("MaximumNumberOfIterations", null),
                        L2Regularization = Parameter<float?>("L2Regularization", null),
                    })),
                Learner.SdcaRegression => (IEstimator<ITransformer>)pipeline.Append(ml.Transforms.NormalizeMinMax("Features"))
                    .Append(ml.Regression.Trainers.Sdca(new SdcaRegressionTrainer.Options { NumberOfThreads = 1 })),
                Learner.FastTreeBinary => (IEstimator<ITransformer>)pipeline.Append(ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
                {
                    NumberOfTrees = int.Parse(spec.HyperParameters["NumberOfTrees"], CultureInfo.InvariantCulture),
                    NumberOfLeaves = int.Parse(spec.HyperParameters["NumberOfLeaves"], CultureInfo.InvariantCulture),
                    MinimumExampleCountPerLeaf = int.Parse(spec.HyperParameters["MinimumExampleCountPerLeaf"], CultureInfo.InvariantCulture),
                    LearningRate = double.Parse(spec.HyperParameters["LearningRate"], CultureInfo.InvariantCulture),
                    NumberOfThreads = 1,
                })),
                _ => throw new NotSupportedException(spec.Learner.ToString()),
            };

            var model = estimator.Fit(trainView);
            var scored = model.Transform(validationView);
            var scores = scored.GetColumn<float>(Classification ? "Probability" : "Score").ToArray();
            var noLabel = ml.Transforms.DropColumns(Label).Fit(trainView).Transform(trainView);
            return new Fitted(model, noLabel, scores);
        }
        finally
        {
            _temporary.Add(temp);
        }
    }

    private static TabularBatch Batch(TemplateManifest manifest, IReadOnlyList<IReadOnlyDictionary<string, string>> rows)
    {
        var result = TabularValidator.Validate(manifest, [.. rows.Select(r => (IReadOnlyDictionary<string, object?>)r.ToDictionary(p => p.Key, p => (object?)p.Value))]);
        return result.IsValid ? result.Batch : throw new InvalidDataException($"Training data fails its own schema: {result.Errors[0]}");
    }

    private static List<CalibrationBin> Calibrate(IReadOnlyList<bool> actual, float[] scores)
    {
        var bins = new List<CalibrationBin>();
        for (var b = 0; b < 5; b++)
        {
            double from = b / 5.0, to = (b + 1) / 5.0;
            var members = Enumerable.Range(0, scores.Length).Where(i => scores[i] >= from && (scores[i] < to || b == 4)).ToList();
            if (members.Count > 0)
            {
                bins.Add(new CalibrationBin(from, to, members.Count, members.Average(i => (double)scores[i]), members.Average(i => actual[i] ? 1.0 : 0.0)));
            }
        }

        return bins;
    }

    private List<FeatureImportance> Importance(TabularModel onnx, TemplateManifest manifest, List<IReadOnlyDictionary<string, string>> rows, Func<float[], ModelMetrics> evaluate)
    {
        double Headline(ModelMetrics m) => (Classification ? m.Auc : m.RSquared) ?? 0;
        var reference = Headline(evaluate(onnx.Score(Batch(manifest, rows))));
        var result = new List<FeatureImportance>();
        for (var c = 0; c < manifest.Inputs.Count; c++)
        {
            var name = manifest.Inputs[c].Name;
            var drops = new List<double>();
            for (var repeat = 0; repeat < 3; repeat++)
            {
                var random = new Random(Seed + (c * 31) + repeat);
                var shuffled = rows.Select(r => r[name]).OrderBy(_ => random.Next()).ToList();
                var permuted = rows.Select((r, i) => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(r) { [name] = shuffled[i] }).ToList();
                drops.Add(reference - Headline(evaluate(onnx.Score(Batch(manifest, permuted)))));
            }

            result.Add(new FeatureImportance(name, Math.Round(drops.Average(), 4)));
        }

        return [.. result.OrderByDescending(f => f.Importance)];
    }

    private ComparisonResult Compare(
        Comparison comparison, CsvTable table, List<string> features, List<InputColumn> inputs, List<string[]> train, List<string[]> validation,
        List<IReadOnlyDictionary<string, string>> validationRows, Func<float[], ModelMetrics> evaluate)
    {
        if (comparison.Rule is { } rule)
        {
            return new ComparisonResult(comparison.Name, comparison.Description, evaluate([.. validationRows.Select(r => (float)rule(r))]));
        }

        var kept = features.Except(comparison.DropColumns ?? []).ToList();
        var fitted = Fit(table, kept, [.. inputs.Where(i => kept.Contains(i.Name))], train, validation);
        var metrics = evaluate(fitted.ValidationScores);
        log.WriteLine($"{spec.Id} / {comparison.Name}: {Describe(metrics)}");
        return new ComparisonResult(comparison.Name, comparison.Description, metrics);
    }
}

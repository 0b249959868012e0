namespace Portal.Core.Templates;

/// <summary>A pack's <c>model-card.json</c>: where the data came from, how the model was trained and how well it does.</summary>
public sealed record ModelCard
{
    public required string TemplateId { get; init; }

    public required string ModelVersion { get; init; }

    public required DataSourceInfo Data { get; init; }

    public required TrainingInfo Training { get; init; }

    /// <summary>Metrics on the held-out validation split.</summary>
    public required ModelMetrics Validation { get; init; }

    /// <summary>Reference points (a naive rule, a model without some inputs) measured on the same split.</summary>
    public IReadOnlyList<ComparisonResult> Comparisons { get; init; } = [];

    /// <summary>Classification: predicted vs observed rate of the positive label by probability bin.</summary>
    public IReadOnlyList<CalibrationBin> Calibration { get; init; } = [];

    /// <summary>Regression: actual and predicted value of every validation row (the predicted-vs-actual plot).</summary>
    public IReadOnlyList<PredictionPoint> ValidationPoints { get; init; } = [];

    /// <summary>Global feature importance (permutation: drop in the headline metric when a column is shuffled).</summary>
    public IReadOnlyList<FeatureImportance> Importance { get; init; } = [];

    /// <summary>Largest difference between ML.NET's and ONNX Runtime's output on the validation rows.</summary>
    public double OnnxParityMaxAbsDiff { get; init; }

    /// <summary>How these figures were obtained, in words.</summary>
    public required LocalizedText HowObtained { get; init; }
}

public sealed record DataSourceInfo(string Name, string Source, string Licence, string Citation, int Rows, int TrainRows, int ValidationRows);

public sealed record TrainingInfo(string Trainer, IReadOnlyDictionary<string, string> HyperParameters, int Seed, IReadOnlyList<string> Features, string Tool);

/// <summary>Classification metrics fill the first group, regression the second.</summary>
public sealed record ModelMetrics
{
    public double? Auc { get; init; }
    public double? Accuracy { get; init; }
    public double? Precision { get; init; }
    public double? Recall { get; init; }
    public double? F1 { get; init; }

    /// <summary>[[true negatives, false positives], [false negatives, true positives]].</summary>
    public IReadOnlyList<IReadOnlyList<long>>? ConfusionMatrix { get; init; }

    public double? Rmse { get; init; }
    public double? Mae { get; init; }
    public double? RSquared { get; init; }
}

public sealed record ComparisonResult(string Name, LocalizedText Description, ModelMetrics Metrics);

public sealed record PredictionPoint(double Actual, double Predicted);

public sealed record CalibrationBin(double From, double To, int Count, double MeanPredicted, double ObservedRate);

public sealed record FeatureImportance(string Feature, double Importance);

namespace Portal.Core.Templates;

/// <summary>Evaluation metrics computed the same way for model cards and for runs with a label column.</summary>
public static class MetricsCalculator
{
    /// <summary>AUC (rank statistic, ties shared), accuracy, precision, recall, F1 and the confusion matrix at <paramref name="threshold"/>.</summary>
    public static ModelMetrics Classification(IReadOnlyList<bool> actual, IReadOnlyList<float> probability, double threshold = 0.5)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(actual.Count, probability.Count);
        long tp = 0, fp = 0, tn = 0, fn = 0;
        for (var i = 0; i < actual.Count; i++)
        {
            var predicted = probability[i] >= threshold;
            (tp, fp, tn, fn) = (actual[i], predicted) switch
            {
                (true, true) => (tp + 1, fp, tn, fn),
                (false, true) => (tp, fp + 1, tn, fn),
                (false, false) => (tp, fp, tn + 1, fn),
                (true, false) => (tp, fp, tn, fn + 1),
            };
        }

        double? precision = tp + fp == 0 ? null : (double)tp / (tp + fp);
        double? recall = tp + fn == 0 ? null : (double)tp / (tp + fn);
        double? f1 = precision is { } p && recall is { } r && p + r > 0 ? 2 * p * r / (p + r) : null;
        return new ModelMetrics
        {
            Auc = Auc(actual, probability),
            Accuracy = actual.Count == 0 ? null : (double)(tp + tn) / actual.Count,
            Precision = precision,
            Recall = recall,
            F1 = f1,
            ConfusionMatrix = [[tn, fp], [fn, tp]],
        };
    }

    /// <summary>Area under the ROC curve as the Mann–Whitney statistic; null when one class is absent.</summary>
    public static double? Auc(IReadOnlyList<bool> actual, IReadOnlyList<float> score)
    {
        var order = Enumerable.Range(0, actual.Count).OrderBy(i => score[i]).ToArray();
        var ranks = new double[order.Length];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && score[order[j + 1]] == score[order[i]])
            {
                j++;
            }

            var rank = (i + j) / 2.0 + 1;
            for (var k = i; k <= j; k++)
            {
                ranks[order[k]] = rank;
            }

            i = j + 1;
        }

        long positives = actual.Count(a => a), negatives = actual.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return null;
        }

        var rankSum = Enumerable.Range(0, actual.Count).Where(i => actual[i]).Sum(i => ranks[i]);
        return (rankSum - positives * (positives + 1) / 2.0) / (positives * (double)negatives);
    }

    /// <summary>RMSE, MAE and R² (1 − residual / total sum of squares).</summary>
    public static ModelMetrics Regression(IReadOnlyList<double> actual, IReadOnlyList<float> predicted)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(actual.Count, predicted.Count);
        if (actual.Count == 0)
        {
            return new ModelMetrics();
        }

        var mean = actual.Average();
        double squares = 0, absolute = 0, total = 0;
        for (var i = 0; i < actual.Count; i++)
        {
            var e = actual[i] - predicted[i];
            squares += e * e;
            absolute += Math.Abs(e);
            total += (actual[i] - mean) * (actual[i] - mean);
        }

        return new ModelMetrics
        {
            Rmse = Math.Sqrt(squares / actual.Count),
            Mae = absolute / actual.Count,
            RSquared = total == 0 ? null : 1 - squares / total,
        };
    }
}

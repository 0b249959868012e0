using System.Globalization;
using System.Text.Json;

namespace Portal.Core.Templates;

/// <summary>One problem with one cell: 1-based row number, the column and what is wrong, in plain words.</summary>
public sealed record CellError(int Row, string Column, string Message);

/// <summary>The outcome of validating rows: a batch of the valid rows (with their original positions) and the errors.</summary>
public sealed record ValidationResult(TabularBatch Batch, IReadOnlyList<int> ValidRows, IReadOnlyList<CellError> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>Checks rows against a template's input schema: missing values, types, ranges and categories.</summary>
public static class TabularValidator
{
    /// <summary>Validates rows given as column → value (JSON numbers, strings, or text from a file).</summary>
    public static ValidationResult Validate(TemplateManifest manifest, IReadOnlyList<IReadOnlyDictionary<string, object?>> rows)
    {
        var errors = new List<CellError>();
        var batch = new TabularBatch(manifest, rows.Count);
        var validRows = new List<int>(rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            Dictionary<string, object?>? tolerant = null;
            var at = validRows.Count; // a row that fails is overwritten by the next one
            var ok = true;
            for (var c = 0; c < manifest.Inputs.Count; c++)
            {
                var input = manifest.Inputs[c];
                if (!row.TryGetValue(input.Name, out var raw))
                {
                    // Only rows whose keys differ in case or spacing pay for the tolerant lookup.
                    tolerant ??= Normalize(row);
                    tolerant.TryGetValue(input.Name, out raw);
                }

                var (value, error) = Check(input, raw);
                if (error is not null)
                {
                    errors.Add(new CellError(r + 1, input.Name, error));
                    ok = false;
                }
                else if (ok)
                {
                    batch.Values(c)[at] = value;
                }
            }

            if (ok)
            {
                validRows.Add(r);
            }
        }

        return new ValidationResult(batch.Prefix(validRows.Count), validRows, errors);
    }

    /// <summary>Column names match case- and whitespace-insensitively.</summary>
    private static Dictionary<string, object?> Normalize(IReadOnlyDictionary<string, object?> row)
    {
        var normalized = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in row)
        {
            normalized[key.Trim()] = value;
        }

        return normalized;
    }

    /// <summary>Checks one cell of text: its batch value (the number, or the category's position), or the error.</summary>
    public static (float Value, string? Error) CheckText(InputColumn input, string? text) => Check(input, text);

    private static (float Value, string? Error) Check(InputColumn input, object? raw)
    {
        var text = raw switch
        {
            null => null,
            JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            JsonElement { ValueKind: JsonValueKind.Number } e => e.GetRawText(),
            JsonElement { ValueKind: JsonValueKind.True } => "true",
            JsonElement { ValueKind: JsonValueKind.False } => "false",
            JsonElement e => e.GetRawText(),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => raw.ToString(),
        };
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return (0, "is missing");
        }

        if (input.Type == InputType.Category)
        {
            return input.CategoryLookup.TryGetValue(text, out var index)
                ? (index, null)
                : (0, $"'{Shorten(text)}' is not one of: {string.Join(", ", input.Categories ?? [])}");
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
        {
            return (0, $"'{Shorten(text)}' is not a number");
        }

        if (input.Type == InputType.Integer && Math.Abs(number - Math.Round(number)) > 1e-9)
        {
            return (0, $"{text} is not a whole number");
        }

        if (input.Min is { } min && number < min || input.Max is { } max && number > max)
        {
            return (0, $"{text} is outside the allowed range {Format(input.Min)} to {Format(input.Max)}{(input.Unit is { Length: > 0 } u ? " " + u : string.Empty)}");
        }

        return ((float)number, null);
    }

    private static string Format(double? v) => v?.ToString("G6", CultureInfo.InvariantCulture) ?? "…";

    /// <summary>Cell text as quoted in messages: at most 40 characters.</summary>
    internal static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

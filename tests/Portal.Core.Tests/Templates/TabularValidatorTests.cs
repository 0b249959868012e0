using System.Text.Json;
using Portal.Core.Templates;

namespace Portal.Core.Tests.Templates;

public sealed class TabularValidatorTests
{
    private static readonly TemplateManifest Manifest = new()
    {
        Id = "test-template",
        Industry = "finance",
        Kind = TemplateKinds.TabularClassification,
        ModelVersion = "1.test",
        Title = new("t", "t"),
        Description = new("d", "d"),
        Disclaimer = new("x", "x"),
        Output = new TemplateOutput { LabelColumn = "y", PositiveLabel = "bad", NegativeLabel = "good" },
        Inputs =
        [
            new InputColumn { Name = "amount", Type = InputType.Number, Min = 0, Max = 1000, Unit = new("DM", "马克"), Description = new("a", "a"), Baseline = "10" },
            new InputColumn { Name = "months", Type = InputType.Integer, Min = 1, Max = 72, Description = new("m", "m"), Baseline = "12" },
            new InputColumn { Name = "housing", Type = InputType.Category, Categories = ["own", "rent"], Description = new("h", "h"), Baseline = "own" },
        ],
    };

    /// <summary>Every column kind, with and without a range, and categories that differ only in case or are not ASCII.</summary>
    private static readonly IReadOnlyList<InputColumn> AllKinds =
    [
        .. Manifest.Inputs,
        new InputColumn { Name = "grade", Type = InputType.Category, Categories = ["A", "a", "B+", "中等"], Description = new("g", "g"), Baseline = "A" },
        new InputColumn { Name = "delta", Type = InputType.Number, Description = new("d", "d"), Baseline = "0" },
    ];

    /// <summary>
    /// The fast path the run pipeline checks millions of cells with never disagrees with the full check: whatever it
    /// accepts, the full check accepts with the same value; it leaves everything else (errors, spaces, other cases,
    /// exponents) to the full check. Cells of every kind, valid and not, against every column type.
    /// </summary>
    [Fact]
    public void The_fast_path_accepts_only_what_the_full_check_accepts_with_the_same_value()
    {
        string[] cells =
        [
            "", " ", "0", "12", "12.5", "-3", "+7", "1000", "1000.0001", "-0.5", "0.5", "72", "73", "6.0", "6.5", "1e2", " 12", "12 ",
            "007", ".5", "5.", "-", "+", ".", "1.2.3", "123456789012345", "1234567890123456", "NaN", "Infinity", "1,5", "١٢",
            "own", "OWN", "Own", " own", "rent", "rentx", "A", "a", "B+", "b+", "中等", "中", "=cmd|' /C calc'!A0",
        ];
        var fastAccepted = 0;
        foreach (var input in AllKinds)
        {
            var rule = new CellRule(input);
            foreach (var cell in cells)
            {
                var error = TabularValidator.CheckCell(input, cell, out var full);
                if (rule.TryAccept(cell, out var fast))
                {
                    fastAccepted++;
                    Assert.True(error is null, $"{input.Name}: fast path accepted '{cell}', the full check says {error}");
                    Assert.Equal(full, fast);
                }
            }
        }

        Assert.True(fastAccepted > 20, $"only {fastAccepted} cells took the fast path");
    }

    private static Dictionary<string, object?> Row(object? amount, object? months, object? housing) =>
        new() { ["amount"] = amount, ["months"] = months, ["housing"] = housing };

    [Fact]
    public void Valid_rows_become_typed_columns_in_input_order()
    {
        var result = TabularValidator.Validate(Manifest, [Row("12.5", "6", "rent"), Row(999, 72, "OWN")]);

        Assert.True(result.IsValid);
        Assert.Equal([12.5f, 999f], result.Batch.Values(0));
        Assert.Equal([6f, 72f], result.Batch.Values(1));
        Assert.Equal(["rent", "own"], new[] { result.Batch.ValueText(0, 2), result.Batch.ValueText(1, 2) }); // categories match case-insensitively, read back as declared
        Assert.Equal([0, 1], result.ValidRows);
    }

    [Fact]
    public void Every_bad_cell_is_reported_with_row_column_and_reason_and_valid_rows_are_kept()
    {
        var result = TabularValidator.Validate(Manifest,
        [
            Row("abc", "6", "rent"),
            Row("5", "6.5", "castle"),
            Row("-1", null, " "),
            Row("7", "12", "own"),
            Row("NaN", "1e2", "rent"),
        ]);

        Assert.Equal([3], result.ValidRows);
        Assert.Equal(1, result.Batch.Count);
        // The valid row's values, not leftovers of the failed rows written before it.
        Assert.Equal([7f], result.Batch.Values(0));
        Assert.Equal([12f], result.Batch.Values(1));
        Assert.Equal("own", result.Batch.ValueText(0, 2));
        Assert.Equal(
        [
            (1, "amount", "'abc' is not a number"),
            (2, "months", "6.5 is not a whole number"),
            (2, "housing", "'castle' is not one of: own, rent"),
            (3, "amount", "-1 is outside the allowed range 0 to 1000 DM"),
            (3, "months", "is missing"),
            (3, "housing", "is missing"),
            (5, "amount", "'NaN' is not a number"),
            (5, "months", "1e2 is outside the allowed range 1 to 72"),
        ], result.Errors.Select(e => (e.Row, e.Column, e.Message)));
    }

    [Fact]
    public void Column_names_match_ignoring_case_and_spaces_and_json_values_are_read()
    {
        var json = JsonDocument.Parse("""{" Amount ": 3, "MONTHS": "4", "housing": "own", "extra": true}""").RootElement;
        var row = json.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
        var result = TabularValidator.Validate(Manifest, [row]);
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(3f, result.Batch.Values(0)[0]);
    }

    [Fact]
    public void Hostile_text_is_shortened_in_messages()
    {
        var result = TabularValidator.Validate(Manifest, [Row(new string('x', 5000), "1", "own")]);
        Assert.True(result.Errors.Single().Message.Length < 80);
    }

    [Fact]
    public void The_number_shortcut_reads_every_text_exactly_as_double_TryParse()
    {
        var random = new Random(7);
        var texts = new List<string> { "0", "-0", "+5", "5.", ".5", "-.5", ".", "-", "+", "", "1e3", "1.2.3", "007", "0.1", "0.3", "123456789012345", "1234567890123456", "9007199254740993", "12.345678901234", " 1", "1,5", "NaN", "∞", "١٢" };
        for (var i = 0; i < 20_000; i++)
        {
            var digits = new string([.. Enumerable.Range(0, random.Next(1, 19)).Select(_ => (char)('0' + random.Next(10)))]);
            var point = random.Next(digits.Length + 1);
            texts.Add((random.Next(4) == 0 ? "-" : string.Empty) + digits[..point] + (random.Next(3) == 0 ? string.Empty : ".") + digits[point..]);
        }

        foreach (var text in texts)
        {
            var expected = double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed);
            Assert.Equal(expected, TabularValidator.TryParseNumber(text, out var number));
            Assert.True(!expected || BitConverter.DoubleToInt64Bits(parsed) == BitConverter.DoubleToInt64Bits(number), text);
        }
    }

    [Fact]
    public void Categories_match_by_spelling_then_ignoring_case_and_cells_are_trimmed()
    {
        var housing = Manifest.Inputs[2];
        Assert.Equal((null, 1.0), (TabularValidator.CheckCell(housing, " rent ", out var rent), rent));
        Assert.Equal((null, 0.0), (TabularValidator.CheckCell(housing, "OWN", out var own), own));
        Assert.Equal("'owner' is not one of: own, rent", TabularValidator.CheckCell(housing, "owner", out _)?.ToString());
        Assert.Equal("is missing", TabularValidator.CheckCell(housing, "   ", out _)?.ToString());
        Assert.Equal("2.5 is not a whole number", TabularValidator.CheckCell(Manifest.Inputs[1], "2.5", out _)?.ToString());
        Assert.Equal("1001 is outside the allowed range 0 to 1000 DM", TabularValidator.CheckCell(Manifest.Inputs[0], "1001", out _)?.ToString());
    }
}

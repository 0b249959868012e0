using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Datasets;

namespace Portal.Core.Tests.Datasets;

/// <summary>What an upload tells about each column: number, text or empty, and how many cells are empty.</summary>
public sealed class DatasetInspectionTests : CoreHostTest
{
    /// <summary>
    /// A column is a number when every filled cell reads as one in the invariant culture (plain decimals, exponents,
    /// spaces around, NaN and Infinity alike); one other cell makes it text; blank, whitespace and missing cells (a
    /// short row) count as empty, and a column with nothing else is empty. CSV and JSON lines say the same.
    /// </summary>
    [Fact]
    public async Task Columns_are_numbers_text_or_empty_with_their_empty_cells_counted()
    {
        const string csv =
            "plain,exponent,spaced,special,mixed,blank,short\n" +
            "1,1e3,\" 12 \",NaN,7,,x\n" +
            "-2.5,2.5E-2,3 ,Infinity,seven,  \n" +
            "+.5,-4e+1,\t8,-Infinity,8,,y\n";
        var (_, member) = await Host.CreateTenantAsync("inspect");
        await using var scope = Host.ScopeFor(member);
        var datasets = scope.ServiceProvider.GetRequiredService<DatasetService>();

        var fromCsv = await datasets.UploadAsync(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "kinds.csv");
        var jsonLines = string.Join('\n',
            """{"plain":1,"exponent":"1e3","spaced":" 12 ","special":"NaN","mixed":7,"blank":null,"short":"x"}""",
            """{"plain":-2.5,"exponent":0.025,"spaced":"3 ","special":"Infinity","mixed":"seven","blank":"  "}""",
            """{"plain":0.5,"exponent":-40,"spaced":"\t8","special":"-Infinity","mixed":8,"blank":"","short":"y"}""");
        var fromJson = await datasets.UploadAsync(new MemoryStream(Encoding.UTF8.GetBytes(jsonLines)), "kinds.jsonl");

        foreach (var dataset in new[] { fromCsv, fromJson })
        {
            Assert.Equal(3, dataset.RowCount);
            Assert.Equal(
            [
                ("plain", ColumnKind.Number, 0), ("exponent", ColumnKind.Number, 0), ("spaced", ColumnKind.Number, 0),
                ("special", ColumnKind.Number, 0), ("mixed", ColumnKind.Text, 0), ("blank", ColumnKind.Empty, 3), ("short", ColumnKind.Text, 1),
            ], dataset.Columns.Select(c => (c.Name, c.Kind, c.Empty)));
        }
    }
}

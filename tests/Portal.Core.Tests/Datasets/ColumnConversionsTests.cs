using Portal.Core.Datasets;

namespace Portal.Core.Tests.Datasets;

/// <summary>The column conversions give what one value at a time gives, for every length (whole vectors and the tail).</summary>
public sealed class ColumnConversionsTests
{
    public static TheoryData<int> Lengths => [0, 1, 7, 8, 15, 16, 17, 33, 4096];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Positions_go_to_two_bytes_and_back(int length)
    {
        var values = Enumerable.Range(0, length).Select(i => (float)((i * 7919) % 65536)).ToArray();
        var positions = new ushort[length];
        ColumnConversions.ToPositions(values, positions);
        Assert.Equal(values.Select(v => (ushort)v), positions);

        var back = new float[length];
        ColumnConversions.FromPositions(positions, back);
        Assert.Equal(values, back);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Numbers_become_floats_and_say_whether_every_one_is_exact(int length)
    {
        var numbers = Enumerable.Range(0, length).Select(i => i * 0.5 - 3).ToArray();
        var floats = new float[length];
        Assert.True(ColumnConversions.ToFloats(numbers, floats));
        Assert.Equal(numbers.Select(n => (float)n), floats);
        var doubles = new double[length];
        ColumnConversions.ToDoubles(floats, doubles);
        Assert.Equal(numbers, doubles);

        // One number that is no float, in each position: inside a vector and in the tail.
        for (var at = 0; at < Math.Min(length, 40); at++)
        {
            var inexact = (double[])numbers.Clone();
            inexact[at] = 4.94164062773;
            Assert.False(ColumnConversions.ToFloats(inexact, floats), $"at {at}");
            Assert.Equal((float)4.94164062773, floats[at]);
        }
    }
}

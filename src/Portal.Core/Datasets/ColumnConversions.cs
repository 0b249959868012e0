using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Portal.Core.Datasets;

/// <summary>
/// The conversions a run makes on whole columns of a chunk, eight to sixteen values at a time: category positions
/// between the model's floats and the two bytes they are stored in, and numbers between the doubles they were read as
/// and floats. One value at a time, these loops took 5 of the 20 ms that storing 100,000 credit rows took (1.5–2.5 ns a
/// value against 0.2–0.4).
/// </summary>
/// <remarks>
/// The loops are compiled fully optimised at once (<see cref="MethodImplOptions.AggressiveOptimization"/>). Left to
/// tiered compilation they ran as unoptimised code, where each <see cref="Vector256"/> call is a real call, for the first
/// several million rows a process handled: reading 100,000 checked rows back took 17–20 ms instead of 1.5 (the first
/// 50 rounds of a harness), and a process's first 1,000,000-row run about 1.3 s instead of 1.1.
/// </remarks>
public static class ColumnConversions
{
    /// <summary>Whole, non-negative positions below 65,536 as two bytes each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToPositions(ReadOnlySpan<float> values, Span<ushort> positions)
    {
        positions = positions[..values.Length];
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= values.Length; i += 16)
            {
                var low = Vector256.ConvertToInt32(Vector256.Create(values.Slice(i, 8))).AsUInt32();
                var high = Vector256.ConvertToInt32(Vector256.Create(values.Slice(i + 8, 8))).AsUInt32();
                Vector256.Narrow(low, high).CopyTo(positions[i..]);
            }
        }

        for (; i < values.Length; i++)
        {
            positions[i] = (ushort)(int)values[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FromPositions(ReadOnlySpan<ushort> positions, Span<float> values)
    {
        values = values[..positions.Length];
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= positions.Length; i += 16)
            {
                var (low, high) = Vector256.Widen(Vector256.Create(positions.Slice(i, 16)));
                Vector256.ConvertToSingle(low.AsInt32()).CopyTo(values[i..]);
                Vector256.ConvertToSingle(high.AsInt32()).CopyTo(values[(i + 8)..]);
            }
        }

        for (; i < positions.Length; i++)
        {
            values[i] = positions[i];
        }
    }

    /// <summary>Each number as a float; true when every one is exactly that float (whole numbers below 16 million, halves, …).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool ToFloats(ReadOnlySpan<double> numbers, Span<float> floats)
    {
        floats = floats[..numbers.Length];
        var exact = true;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= numbers.Length; i += 8)
            {
                var low = Vector256.Create(numbers.Slice(i, 4));
                var high = Vector256.Create(numbers.Slice(i + 4, 4));
                var narrowed = Vector256.Narrow(low, high);
                narrowed.CopyTo(floats[i..]);
                var (backLow, backHigh) = Vector256.Widen(narrowed);
                exact &= Vector256.EqualsAll(backLow, low) & Vector256.EqualsAll(backHigh, high);
            }
        }

        for (; i < numbers.Length; i++)
        {
            floats[i] = (float)numbers[i];
            exact &= floats[i] == numbers[i];
        }

        return exact;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToDoubles(ReadOnlySpan<float> floats, Span<double> numbers)
    {
        numbers = numbers[..floats.Length];
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= floats.Length; i += 8)
            {
                var (low, high) = Vector256.Widen(Vector256.Create(floats.Slice(i, 8)));
                low.CopyTo(numbers[i..]);
                high.CopyTo(numbers[(i + 4)..]);
            }
        }

        for (; i < floats.Length; i++)
        {
            numbers[i] = floats[i];
        }
    }

    /// <summary>Appends the values' bytes (in this machine's order) and returns how many.</summary>
    internal static int Append<T>(ArrayBufferWriter<byte> output, ReadOnlySpan<T> values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        output.Write(bytes);
        return bytes.Length;
    }

    /// <summary>Appends category positions as two bytes each (<see cref="ToPositions"/>) and returns how many bytes.</summary>
    internal static int AppendPositions(ArrayBufferWriter<byte> output, ReadOnlySpan<float> values)
    {
        ToPositions(values, Reserve<ushort>(output, values.Length));
        output.Advance(values.Length * sizeof(ushort));
        return values.Length * sizeof(ushort);
    }

    /// <summary>The bytes of <paramref name="count"/> values of <typeparamref name="T"/> at the writer's end, for a conversion to fill.</summary>
    internal static Span<T> Reserve<T>(ArrayBufferWriter<byte> output, int count) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(output.GetSpan(count * Unsafe.SizeOf<T>()))[..count];
}

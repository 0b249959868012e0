using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Portal.Core.Templates;

namespace Portal.Core;

/// <summary>
/// A message for people as an English composite format and its arguments. <see cref="ToString"/> is the English text
/// (the API, logs and downloaded files use it); a page looks the format up among its translations and formats the
/// arguments in the reader's culture, so the same message reads in English or Chinese. An argument that is itself a
/// <see cref="LocalizableText"/> or a <see cref="LocalizedText"/> (a template's unit, say) reads in the same language as
/// the message.
/// Stored as JSON (<c>{"format": "…", "args": ["…", 12]}</c>), its values keep their kind: text, whole or real numbers.
/// </summary>
[JsonConverter(typeof(LocalizableTextJsonConverter))]
public sealed record LocalizableText(string Format, params object[] Args)
{
    /// <summary>The English text (a format without arguments is the text itself, braces and all).</summary>
    public override string ToString() =>
        Args.Length == 0 ? Format : string.Format(CultureInfo.InvariantCulture, Format, [.. Args.Select(a => a is LocalizedText t ? t.En : a)]);

    /// <summary>Several messages as one, separated by spaces, each once (the message itself when there is one).</summary>
    public static LocalizableText Join(IEnumerable<LocalizableText> texts)
    {
        LocalizableText[] distinct = [.. texts.DistinctBy(t => t.ToString())];
        return distinct.Length == 1
            ? distinct[0]
            : new LocalizableText(string.Join(" ", Enumerable.Range(0, distinct.Length).Select(i => $"{{{i}}}")), [.. distinct]);
    }
}

/// <summary>
/// Writes a <see cref="LocalizableText"/> as its format and values, and reads the values back as what they were (a
/// string, a whole number as <see cref="long"/>, any other number as <see cref="double"/>), not as JSON elements, so
/// that a stored message formats its numbers in the reader's culture like a fresh one.
/// </summary>
public sealed class LocalizableTextJsonConverter : JsonConverter<LocalizableText>
{
    public override LocalizableText Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        var format = root.GetProperty("format").GetString() ?? string.Empty;
        object[] args = root.TryGetProperty("args", out var values) && values.ValueKind == JsonValueKind.Array
            ? [.. values.EnumerateArray().Select(Value)]
            : [];
        return new LocalizableText(format, args);
    }

    private static object Value(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number when value.TryGetInt64(out var whole) => whole,
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Object when value.TryGetProperty("en", out var en) && value.TryGetProperty("zh-CN", out var zh) =>
            new LocalizedText(en.GetString() ?? string.Empty, zh.GetString() ?? string.Empty),
        JsonValueKind.Object when value.TryGetProperty("format", out _) => JsonSerializer.Deserialize<LocalizableText>(value.GetRawText())!,
        _ => value.GetRawText(),
    };

    public override void Write(Utf8JsonWriter writer, LocalizableText value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("format", value.Format);
        writer.WriteStartArray("args");
        foreach (var arg in value.Args)
        {
            switch (arg)
            {
                case string or LocalizableText or LocalizedText or bool:
                    JsonSerializer.Serialize(writer, arg, arg.GetType(), options);
                    break;
                case sbyte or byte or short or ushort or int or uint or long:
                    writer.WriteNumberValue(Convert.ToInt64(arg, CultureInfo.InvariantCulture));
                    break;
                case float or double or decimal:
                    writer.WriteNumberValue(Convert.ToDouble(arg, CultureInfo.InvariantCulture));
                    break;
                default:
                    writer.WriteStringValue(Convert.ToString(arg, CultureInfo.InvariantCulture));
                    break;
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}

/// <summary>
/// A refusal a person can act on, as a <see cref="LocalizableText"/>: <see cref="Exception.Message"/> is the English text
/// (the API shows it), pages show <see cref="Text"/> in the reader's language.
/// </summary>
public abstract class LocalizableException(LocalizableText text, Exception? inner = null) : Exception(text.ToString(), inner)
{
    public LocalizableText Text { get; } = text;
}

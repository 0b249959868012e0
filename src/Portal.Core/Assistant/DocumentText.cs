using System.Text;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

namespace Portal.Core.Assistant;

/// <summary>
/// Reads a knowledge document's text: plain text and Markdown as they are, PDF page by page (content order), Word
/// (.docx) paragraph by paragraph with its headings turned into Markdown headings so that passages keep their context.
/// A file that is not what its name says, or cannot be read (encrypted, broken), gets one clear sentence.
/// </summary>
public static class DocumentText
{
    /// <summary>File types that can be added, by extension.</summary>
    public static IReadOnlyDictionary<string, string> Formats { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = "text",
        [".md"] = "markdown",
        [".markdown"] = "markdown",
        [".pdf"] = "pdf",
        [".docx"] = "docx",
    };

    public static string Read(string format, byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            throw new KnowledgeDocumentException("The document is empty.");
        }

        var text = format switch
        {
            "pdf" => Pdf(bytes),
            "docx" => Docx(bytes),
            _ => Text(bytes),
        };
        return string.IsNullOrWhiteSpace(text) ? throw new KnowledgeDocumentException("The document has no text (a scanned PDF needs text recognition first).") : text;
    }

    private static string Text(byte[] bytes)
    {
        var utf16 = bytes.Length > 1 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF));
        if (!utf16 && Array.IndexOf(bytes, (byte)0) >= 0)
        {
            throw new KnowledgeDocumentException("The document is not text (it contains binary data); add PDF and Word files with their own extension.");
        }

        using var reader = new StreamReader(new MemoryStream(bytes), new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static string Pdf(byte[] bytes)
    {
        if (!bytes.AsSpan().StartsWith("%PDF"u8))
        {
            throw new KnowledgeDocumentException("The file is not a PDF.");
        }

        try
        {
            using var pdf = PdfDocument.Open(bytes);
            var text = new StringBuilder();
            foreach (var page in pdf.GetPages())
            {
                // Lines of a page become one paragraph each unless they run on; a blank line ends every page.
                text.Append(ContentOrderTextExtractor.GetText(page).Replace("\r\n", "\n", StringComparison.Ordinal)).Append("\n\n");
            }

            return text.ToString();
        }
        catch (UglyToad.PdfPig.Exceptions.PdfDocumentEncryptedException)
        {
            throw new KnowledgeDocumentException("The PDF is password-protected; add an unprotected copy.");
        }
        catch (Exception e) when (e is not KnowledgeDocumentException)
        {
            throw new KnowledgeDocumentException("The PDF cannot be read (it may be damaged).");
        }
    }

    private static string Docx(byte[] bytes)
    {
        if (!bytes.AsSpan().StartsWith("PK\u0003\u0004"u8))
        {
            throw new KnowledgeDocumentException("The file is not a Word document (.docx).");
        }

        try
        {
            using var document = WordprocessingDocument.Open(new MemoryStream(bytes), false);
            var body = document.MainDocumentPart?.Document?.Body ?? throw new KnowledgeDocumentException("The Word document has no body.");
            var text = new StringBuilder();
            foreach (var paragraph in body.Descendants<Paragraph>())
            {
                var line = paragraph.InnerText.Trim();
                if (line.Length == 0)
                {
                    continue;
                }

                var style = paragraph.ParagraphProperties?.ParagraphStyleId?.Val?.Value ?? string.Empty;
                var level = style.StartsWith("Heading", StringComparison.OrdinalIgnoreCase) && int.TryParse(style.AsSpan(7), out var l) ? Math.Clamp(l, 1, 6)
                    : style.Equals("Title", StringComparison.OrdinalIgnoreCase) ? 1 : 0;
                text.Append(level > 0 ? new string('#', level) + " " : string.Empty).Append(line).Append("\n\n");
            }

            return text.ToString();
        }
        catch (Exception e) when (e is not KnowledgeDocumentException)
        {
            throw new KnowledgeDocumentException("The Word document cannot be read (it may be damaged or not a .docx).");
        }
    }
}

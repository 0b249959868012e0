using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using Portal.Core.Assistant;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Portal.Core.Tests.Assistant;

/// <summary>Knowledge documents in every accepted format are read to text; wrong and broken files get one clear sentence.</summary>
public sealed class DocumentTextTests
{
    private static byte[] Docx()
    {
        using var stream = new MemoryStream();
        using (var doc = WordprocessingDocument.Create(stream, WordprocessingDocumentType.Document))
        {
            var main = doc.AddMainDocumentPart();
            main.Document = new Document(new Body(
                Paragraph("Lab safety", "Heading1"),
                Paragraph("Goggles are worn at all times in the chemistry lab.", null),
                Paragraph("Spills", "Heading2"),
                Paragraph("Report every spill to the teacher at once.", null)));
        }

        return stream.ToArray();

        static Paragraph Paragraph(string text, string? style) => new(
            style is null ? new ParagraphProperties() : new ParagraphProperties(new ParagraphStyleId { Val = style }),
            new Run(new Text(text)));
    }

    private static byte[] Pdf()
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
        page.AddText("The library opens at eight o'clock on school days.", 12, new UglyToad.PdfPig.Core.PdfPoint(50, 700), font);
        page.AddText("Books are lent for three weeks.", 12, new UglyToad.PdfPig.Core.PdfPoint(50, 680), font);
        return builder.Build();
    }

    [Fact]
    public void A_word_document_keeps_its_headings_as_passage_context()
    {
        var text = DocumentText.Read("docx", Docx());
        Assert.Contains("# Lab safety", text, StringComparison.Ordinal);
        Assert.Contains("## Spills", text, StringComparison.Ordinal);
        var passages = PassageSplitter.Split(text);
        Assert.Equal(["Lab safety", "Lab safety › Spills"], passages.Select(p => p.Heading));
        Assert.Equal("Report every spill to the teacher at once.", passages[1].Text);
    }

    [Fact]
    public void A_pdfs_text_is_read_page_by_page()
    {
        var text = DocumentText.Read("pdf", Pdf());
        Assert.Contains("The library opens at eight o'clock on school days.", text, StringComparison.Ordinal);
        Assert.Contains("Books are lent for three weeks.", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pdf", "hello, this is text", "is not a PDF")]
    [InlineData("pdf", "%PDF-1.7 then nothing that makes sense", "cannot be read")]
    [InlineData("docx", "hello, this is text", "is not a Word document")]
    [InlineData("docx", "PK\u0003\u0004 broken zip", "cannot be read")]
    [InlineData("markdown", "", "is empty")]
    [InlineData("markdown", "   \n\n  ", "has no text")]
    public void Wrong_or_broken_files_get_one_clear_sentence(string format, string content, string message)
    {
        var e = Assert.Throws<KnowledgeDocumentException>(() => DocumentText.Read(format, System.Text.Encoding.Latin1.GetBytes(content)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_data_renamed_to_text_is_refused_but_utf16_text_is_read()
    {
        Assert.Contains("binary data", Assert.Throws<KnowledgeDocumentException>(() => DocumentText.Read("text", [0x89, 0x50, 0x4E, 0x47, 0, 0, 1])).Message, StringComparison.Ordinal);
        Assert.Equal("Héllo", DocumentText.Read("text", [.. System.Text.Encoding.Unicode.GetPreamble(), .. System.Text.Encoding.Unicode.GetBytes("Héllo")]));
    }
}

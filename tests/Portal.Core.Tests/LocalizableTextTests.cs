using System.Text.Json;
using Portal.Core.Templates;

namespace Portal.Core.Tests;

/// <summary>A message kept in the database (a failed run's reason) comes back as it was made, its values of the same kinds.</summary>
public sealed class LocalizableTextTests
{
    [Fact]
    public void A_stored_message_keeps_its_format_and_the_kinds_of_its_values()
    {
        var unit = new LocalizedText("months", "个月");
        var text = new LocalizableText("{0} of {1:N0} at {2:P0} in {3} ({4}, {5})", "row", 12_345, 0.25, unit, new LocalizableText("is missing"), true);

        var back = JsonSerializer.Deserialize<LocalizableText>(JsonSerializer.Serialize(text))!;

        Assert.Equal(text.Format, back.Format);
        Assert.Equal(["row", 12_345L, 0.25, unit, new LocalizableText("is missing"), true], back.Args);
        Assert.Equal("row of 12,345 at 25 % in months (is missing, True)", back.ToString());
        Assert.Equal(text.ToString(), back.ToString());
    }

    [Fact]
    public void Several_messages_join_once_each()
    {
        var taken = new LocalizableText("An account for {0} already exists.", "a@b.test");
        var joined = LocalizableText.Join([taken, new LocalizableText("An account for {0} already exists.", "a@b.test"), new LocalizableText("The password is not correct.")]);

        Assert.Equal("An account for a@b.test already exists. The password is not correct.", joined.ToString());
        Assert.Same(taken, LocalizableText.Join([taken]));
    }
}

using System.Globalization;

namespace Portal.Web.Components.Pages.Runs;

/// <summary>Durations and rates as the run pages show them (culture-neutral units).</summary>
public static class RunFormat
{
    public static string Duration(TimeSpan span) => span.TotalSeconds switch
    {
        < 1 => $"{span.TotalMilliseconds.ToString("0", CultureInfo.CurrentCulture)} ms",
        < 60 => $"{span.TotalSeconds.ToString("0.0", CultureInfo.CurrentCulture)} s",
        < 3600 => $"{(int)span.TotalMinutes} min {span.Seconds} s",
        _ => $"{(int)span.TotalHours} h {span.Minutes} min",
    };
}

namespace Portal.Web.Localization;

/// <summary>
/// Marker for the UI's string table. Keys are the English text; <c>Resources/Localization/SharedResource.zh-CN.resx</c>
/// holds the Simplified Chinese. A test checks that every key used in the UI has a translation.
/// </summary>
public sealed class SharedResource;

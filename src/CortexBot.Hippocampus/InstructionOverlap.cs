namespace CortexBot.Hippocampus;

/// <summary>
/// Placeholder recall ranking: how many content words two instructions share. A later issue replaces this with
/// real similarity recall.
/// </summary>
internal static class InstructionOverlap
{
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "to", "in", "into", "on", "onto", "of", "and", "then", "it", "its", "with", "from", "at",
        "please", "is", "that", "this", "by", "for", "up",
    };

    /// <summary>Lower-case content words of <paramref name="text"/> (letters and digits; stop words dropped).</summary>
    public static HashSet<string> Words(string? text)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(text))
            return words;
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0)
                start = i;
            else if (!inWord && start >= 0)
            {
                var w = text[start..i].ToLowerInvariant();
                if (!StopWords.Contains(w))
                    words.Add(w);
                start = -1;
            }
        }
        return words;
    }

    /// <summary>Number of distinct content words shared by <paramref name="queryWords"/> and <paramref name="text"/>.</summary>
    public static int Score(IReadOnlySet<string> queryWords, string? text)
    {
        if (queryWords.Count == 0)
            return 0;
        int n = 0;
        foreach (var w in Words(text))
            if (queryWords.Contains(w))
                n++;
        return n;
    }
}

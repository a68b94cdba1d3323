using System.Numerics.Tensors;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Hippocampus.Recall;

/// <summary>
/// The default, deterministic text-and-feature embedder: signed feature hashing (FNV-1a 64) of
/// <list type="bullet">
/// <item>the instruction's content words, word bigrams and character trigrams,</item>
/// <item>object guesses from the text (<c>red cube</c> → <c>obj:red_cube</c>) so text matches plan arguments,</item>
/// <item>for episodes: the plan's skills and their arguments, the outcome, and the failure reason's words,</item>
/// </list>
/// into a fixed number of dimensions, then L2-normalised. No model file, no randomness, same vector everywhere.
/// </summary>
public sealed class HashingEpisodeEmbedder : IEpisodeEmbedder
{
    public const int DefaultDimension = 256;

    private const float WordWeight = 1.0f;
    private const float BigramWeight = 0.7f;
    private const float ObjectWeight = 0.8f;
    private const float TrigramWeight = 0.25f;
    private const float SkillWeight = 0.5f;
    private const float OutcomeWeight = 0.5f;
    private const float ReasonWeight = 0.3f;

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "to", "in", "into", "on", "onto", "of", "and", "then", "it", "its", "with", "from", "at",
        "please", "is", "that", "this", "by", "for", "up",
    };

    public HashingEpisodeEmbedder(int dimension = DefaultDimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 16);
        Dimension = dimension;
        Model = $"hash-ngram-v1/{dimension}";
    }

    public static HashingEpisodeEmbedder Default { get; } = new();

    public string Model { get; }

    public int Dimension { get; }

    public void EmbedEpisode(EpisodeRecord episode, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(episode);
        Check(destination);
        destination.Clear();
        AddText(episode.Instruction, destination);
        if (!episode.Plan.IsDefault)
        {
            foreach (var step in episode.Plan)
            {
                var (skill, args) = PlanText.Parse(step);
                if (skill.Length > 0)
                    Add("skill:" + skill, SkillWeight, destination);
                foreach (var arg in args)
                    Add("obj:" + arg, ObjectWeight, destination);
            }
        }
        Add(episode.Success ? "outcome:success" : "outcome:failure", OutcomeWeight, destination);
        foreach (var w in Words(episode.FailureReason))
            Add("reason:" + w, ReasonWeight, destination);
        Normalise(destination);
    }

    public void EmbedQuery(string text, Span<float> destination)
    {
        Check(destination);
        destination.Clear();
        AddText(text, destination);
        Normalise(destination);
    }

    /// <summary>Lower-case content words (letters and digits; stop words dropped), in order.</summary>
    public static List<string> Words(string? text)
    {
        var words = new List<string>();
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

    private void AddText(string? text, Span<float> v)
    {
        var words = Words(text);
        for (int i = 0; i < words.Count; i++)
        {
            var w = words[i];
            Add("w:" + w, WordWeight, v);
            Add("obj:" + w, ObjectWeight, v);
            var padded = "#" + w + "#";
            for (int c = 0; c + 3 <= padded.Length; c++)
                Add("c:" + padded.Substring(c, 3), TrigramWeight, v);
            if (i + 1 < words.Count)
            {
                Add("b:" + w + " " + words[i + 1], BigramWeight, v);
                Add("obj:" + w + "_" + words[i + 1], ObjectWeight, v);
            }
        }
    }

    private void Add(string feature, float weight, Span<float> v)
    {
        ulong h = 14695981039346656037UL;
        foreach (char ch in feature)
        {
            h ^= ch;
            h *= 1099511628211UL;
        }
        // Final avalanche (splitmix64) so low bits are well mixed for the modulo.
        h ^= h >> 30;
        h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 27;
        h *= 0x94D049BB133111EBUL;
        h ^= h >> 31;
        int index = (int)(h % (ulong)Dimension);
        v[index] += (h >> 63) == 0 ? weight : -weight;
    }

    private static void Normalise(Span<float> v)
    {
        float norm = TensorPrimitives.Norm(v);
        if (norm > 0)
            TensorPrimitives.Divide(v, norm, v);
    }

    private void Check(Span<float> destination)
    {
        if (destination.Length != Dimension)
            throw new ArgumentException($"Destination has {destination.Length} floats; the embedder writes {Dimension}.", nameof(destination));
    }
}

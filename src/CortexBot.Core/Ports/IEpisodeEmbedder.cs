using CortexBot.Core.Messages;

namespace CortexBot.Core.Ports;

/// <summary>
/// Turns episodes and recall queries into fixed-length, L2-normalised float vectors whose dot product is their
/// similarity. Implementations must be deterministic: the same input gives the same vector in every process,
/// because vectors are stored and compared across runs.
/// </summary>
public interface IEpisodeEmbedder
{
    /// <summary>Identifies the vector space (name, version and dimension); stored with every vector.</summary>
    string Model { get; }

    int Dimension { get; }

    /// <summary>Writes the vector of a stored episode into <paramref name="destination"/> (length <see cref="Dimension"/>).</summary>
    void EmbedEpisode(EpisodeRecord episode, Span<float> destination);

    /// <summary>Writes the vector of a free-text query into <paramref name="destination"/> (length <see cref="Dimension"/>).</summary>
    void EmbedQuery(string text, Span<float> destination);
}

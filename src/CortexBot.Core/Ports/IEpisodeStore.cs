using CortexBot.Core.Messages;

namespace CortexBot.Core.Ports;

/// <summary>Durable episodic memory. Append is transactional: an episode is stored whole or not at all.</summary>
public interface IEpisodeStore : IDisposable
{
    string Location { get; }
    long Append(EpisodeRecord episode);
    /// <summary>One episode with its steps and, when it has one, its trace; null when no episode has that id.</summary>
    EpisodeRecord? Get(long id);
    IReadOnlyList<EpisodeRecord> Recent(int limit);
    long Count();
}

using CortexBot.Core.Messages;

namespace CortexBot.Core.Ports;

/// <summary>Durable episodic memory. Append is transactional: an episode is stored whole or not at all.</summary>
public interface IEpisodeStore : IDisposable
{
    string Location { get; }
    long Append(EpisodeRecord episode);
    EpisodeRecord? Get(long id);
    IReadOnlyList<EpisodeRecord> Recent(int limit);
    long Count();
}

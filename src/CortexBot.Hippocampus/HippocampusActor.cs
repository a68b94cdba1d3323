using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Hippocampus;

/// <summary>
/// Episodic memory organ: a thin actor in front of an <see cref="IEpisodeStore"/>.
/// <list type="bullet">
/// <item><see cref="StoreEpisode"/> → <see cref="EpisodeStored"/>, or <see cref="EpisodeStoreFailed"/> if the store throws.</item>
/// <item><see cref="RecallRecent"/> → <see cref="Recalled"/>: episodes sharing words with the instruction first, then by
/// recency (most recent first); empty if the store cannot be read.</item>
/// </list>
/// Store failures are logged and answered, never escalated: the caller is never crashed by memory.
/// The store is owned by whoever created it; this actor does not dispose it. Store I/O runs on the actor's thread
/// (memory is not on the control path).
/// </summary>
public sealed class HippocampusActor : ReceiveActor
{
    /// <summary>How many of the latest episodes <see cref="RecallRecent"/> ranks.</summary>
    public const int DefaultRecallPool = 200;

    private readonly IEpisodeStore _store;
    private readonly int _recallPool;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public HippocampusActor(IEpisodeStore store, int recallPool)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(recallPool);
        _store = store;
        _recallPool = recallPool;
        Receive<StoreEpisode>(OnStore);
        Receive<RecallRecent>(OnRecall);
    }

    public static Props Props(IEpisodeStore store) => Props(store, DefaultRecallPool);

    public static Props Props(IEpisodeStore store, int recallPool)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Akka.Actor.Props.Create(() => new HippocampusActor(store, recallPool));
    }

    private void OnStore(StoreEpisode msg)
    {
        var taskId = msg.Episode?.TaskId ?? Guid.Empty;
        try
        {
            if (msg.Episode is null)
                throw new ArgumentException("StoreEpisode carried no episode.");
            var id = _store.Append(msg.Episode);
            _log.Debug("Stored episode {0} as #{1}", taskId, id);
            Sender.Tell(new EpisodeStored(taskId, id));
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Could not store episode {0}: {1}", taskId, ex.Message);
            Sender.Tell(new EpisodeStoreFailed(taskId, ex.Message));
        }
    }

    private void OnRecall(RecallRecent msg)
    {
        if (msg.Limit <= 0)
        {
            Sender.Tell(new Recalled([]));
            return;
        }
        try
        {
            var pool = _store.Recent(Math.Max(msg.Limit, _recallPool));
            var query = InstructionOverlap.Words(msg.Instruction);
            var ranked = pool
                .Select((e, order) => (Episode: e, Order: order, Score: InstructionOverlap.Score(query, e.Instruction)))
                .OrderByDescending(x => x.Score)
                .ThenBy(x => x.Order) // Recent() is most recent first
                .Take(msg.Limit)
                .Select(x => Summarise(x.Episode))
                .ToImmutableArray();
            Sender.Tell(new Recalled(ranked));
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Could not recall episodes for '{0}': {1}", msg.Instruction, ex.Message);
            Sender.Tell(new Recalled([]));
        }
    }

    internal static EpisodeSummary Summarise(EpisodeRecord e) =>
        new(e.Id, e.Instruction, e.Success, e.Plan.IsDefaultOrEmpty ? "" : string.Join("; ", e.Plan), e.FailureReason);
}

using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Hippocampus.Recall;

namespace CortexBot.Hippocampus;

/// <summary>
/// Episodic memory organ: an actor in front of an <see cref="IEpisodeStore"/> with a similarity index in memory (exact,
/// and for an <see cref="IEpisodeMemory"/> above <see cref="RecallIndexOptions.ApproximateThreshold"/> episodes also an
/// HNSW index built on background threads while exact search answers; see <see cref="EpisodeRecallIndex"/>).
/// <list type="bullet">
/// <item><see cref="StoreEpisode"/> → <see cref="EpisodeStored"/>, or <see cref="EpisodeStoreFailed"/> if the store throws.
/// A stored episode is added to the index at once.</item>
/// <item><see cref="RecallSimilar"/> → <see cref="Recalled"/>: the episodes most similar to the text (embedding dot
/// product; ties go to the most recent), restricted by its <see cref="RecallFilter"/> if any; empty if the store cannot be read.</item>
/// <item><see cref="RecallFacts"/> → <see cref="FactsRecalled"/>: the semantic tier (empty for a store without one).</item>
/// <item><see cref="RecallPlanFor"/> → <see cref="PlansRecalled"/>: plans of recent successful episodes with the same goal
/// structure, found by the store's query (<see cref="IEpisodeMemory.SucceededWithGoal"/>), for the cortex's fast path.</item>
/// <item><see cref="RememberSafetyFact"/> → <see cref="SafetyFactRemembered"/>, <see cref="RecallSafetyFacts"/> →
/// <see cref="SafetyFactsRecalled"/>: safety reviews kept as facts so the same flagged case is not escalated twice (a plain
/// <see cref="IEpisodeStore"/> keeps none).</item>
/// </list>
/// The index is loaded from the store when the actor starts (every vector of an <see cref="IEpisodeMemory"/>; for a plain
/// <see cref="IEpisodeStore"/>, the latest <c>recallPool</c> episodes embedded on the spot), and again on the next
/// recall if that failed. Store failures are logged and answered, never escalated. The store is owned by whoever
/// created it. Store I/O and search run on the actor's own dispatcher, never on the control path.
/// </summary>
public sealed class HippocampusActor : ReceiveActor
{
    /// <summary>How many of the latest episodes are indexed when the store keeps no vectors of its own.</summary>
    public const int DefaultRecallPool = 200;

    private readonly IEpisodeStore _store;
    private readonly int _recallPool;
    private readonly IEpisodeEmbedder _embedder;
    private readonly float[] _scratch;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RecallIndexOptions _recallOptions;
    private IEpisodeRecallIndex? _index;
    private bool _reportedBuild;

    public HippocampusActor(IEpisodeStore store, int recallPool, IEpisodeEmbedder? embedder = null, RecallIndexOptions? recall = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(recallPool);
        _recallOptions = recall ?? RecallIndexOptions.Default;
        _recallOptions.Validate();
        _store = store;
        _recallPool = recallPool;
        _embedder = (store as IEpisodeMemory)?.Embedder ?? embedder ?? HashingEpisodeEmbedder.Default;
        _scratch = new float[_embedder.Dimension];
        Receive<StoreEpisode>(OnStore);
        Receive<RecallSimilar>(m => Recall(m.Text, m.Limit, m.Filter));
        Receive<RecallFacts>(OnFacts);
        Receive<RecallPlanFor>(OnRecallPlans);
        Receive<RememberSafetyFact>(OnRememberSafetyFact);
        Receive<RecallSafetyFacts>(OnRecallSafetyFacts);
    }

    public static Props Props(IEpisodeStore store) => Props(store, DefaultRecallPool);

    public static Props Props(IEpisodeStore store, int recallPool, IEpisodeEmbedder? embedder = null, RecallIndexOptions? recall = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Akka.Actor.Props.Create(() => new HippocampusActor(store, recallPool, embedder, recall));
    }

    protected override void PreStart() => TryLoadIndex();

    protected override void PostStop() => DropIndex();

    private void DropIndex()
    {
        // Saving here, not only in Dispose, so that a failure reaches the log.
        if (_index is EpisodeRecallIndex recall && !recall.SaveIfGrown(out var error))
            _log.Warning(error);
        (_index as IDisposable)?.Dispose();
        _index = null;
        _reportedBuild = false;
    }

    private bool TryLoadIndex()
    {
        if (_index is not null)
            return true;
        try
        {
            if (_store is IEpisodeMemory memory)
                // Exact search answers at once; above the threshold an approximate index is built in the background.
                _index = new EpisodeRecallIndex(memory.LoadIndex(), _recallOptions, GraphFile(memory));
            else
            {
                var index = new EpisodeVectorIndex(_embedder.Dimension, _recallPool);
                foreach (var e in _store.Recent(_recallPool))
                {
                    _embedder.EmbedEpisode(e, _scratch);
                    index.Add(EpisodeMeta.Of(e, e.Id), _scratch);
                }
                _index = index;
            }
            _log.Debug("Recall index holds {0} episodes ({1})", _index.Count, _embedder.Model);
            Core.Telemetry.CortexBotMetrics.SetEpisodesInMemory(_index.Count);
            return true;
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Could not load the recall index from {0}: {1}", _store.Location, ex.Message);
            return false;
        }
    }

    /// <summary>The saved recall graph lives beside a file store (a server database has no "beside").</summary>
    private static RecallGraphFile? GraphFile(IEpisodeMemory memory) =>
        memory is SqliteEpisodeStore && File.Exists(memory.Location)
            ? RecallGraphFile.Beside(memory.Location, memory.Embedder.Model, memory.ReadOnly)
            : null;

    private void OnStore(StoreEpisode msg)
    {
        var taskId = msg.Episode?.TaskId ?? Guid.Empty;
        long id;
        bool embedded = false;
        try
        {
            if (msg.Episode is null)
                throw new ArgumentException("StoreEpisode carried no episode.");
            if (_store is IEpisodeMemory memory)
            {
                // One embedding for the store and the index: with a language model it is the costly part of storing.
                _embedder.EmbedEpisode(msg.Episode, _scratch);
                embedded = true;
                id = memory.Append(msg.Episode, _scratch);
            }
            else
                id = _store.Append(msg.Episode);
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Could not store episode {0}: {1}", taskId, ex.Message);
            Sender.Tell(new EpisodeStoreFailed(taskId, ex.Message));
            return;
        }
        _log.Debug("Stored episode {0} as #{1}", taskId, id);
        Sender.Tell(new EpisodeStored(taskId, id));
        if (_index is not null)
        {
            try
            {
                if (!embedded)
                    _embedder.EmbedEpisode(msg.Episode, _scratch);
                _index.Add(EpisodeMeta.Of(msg.Episode, id), _scratch);
                Core.Telemetry.CortexBotMetrics.SetEpisodesInMemory(_index.Count);
            }
            catch (Exception ex)
            {
                _log.Error(ex, "Stored episode #{0} could not be indexed; reloading the index on the next recall: {1}", id, ex.Message);
                DropIndex();
            }
        }
    }

    private void Recall(string? text, int limit, RecallFilter? filter)
    {
        if (limit <= 0 || !TryLoadIndex())
        {
            Sender.Tell(new Recalled([]));
            return;
        }
        try
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            _embedder.EmbedQuery(text ?? "", _scratch);
            var hits = _index!.Search(_scratch, limit, filter);
            Core.Telemetry.CortexBotMetrics.RecallLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            ReportBuild();
            var found = ImmutableArray.CreateBuilder<EpisodeSummary>(hits.Count);
            foreach (var hit in hits)
                if (_store.Get(hit.Id) is { } e)
                    found.Add(Summarise(e));
            Sender.Tell(new Recalled(found.ToImmutable()));
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Could not recall episodes for '{0}': {1}", text, ex.Message);
            Sender.Tell(new Recalled([]));
        }
    }

    private void ReportBuild()
    {
        if (_reportedBuild || _index is not EpisodeRecallIndex { BuildStarted: true } index || !index.BuildCompletion.IsCompleted)
            return;
        _reportedBuild = true;
        if (index.GraphFileWarning is { } warning)
            _log.Warning(warning);
        if (index.BuildError is { } error)
            _log.Error(error, "The approximate recall index could not be built; exact search keeps answering: {0}", error.Message);
        else if (index.IsApproximate)
            _log.Info(index.LoadedFromFile
                    ? "Approximate recall index loaded from its saved graph over {0} episodes ({2} added since) in {1:F1} s"
                    : "Approximate recall index built over {0} episodes in {1:F1} s",
                index.Count, index.BuildSeconds, index.AddedAfterLoad);
    }

    private void OnFacts(RecallFacts msg)
    {
        try
        {
            var facts = _store is IEpisodeMemory memory ? memory.Facts(msg.Object) : [];
            Sender.Tell(new FactsRecalled([.. facts]));
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Could not read semantic facts: {0}", ex.Message);
            Sender.Tell(new FactsRecalled([]));
        }
    }

    private void OnRememberSafetyFact(RememberSafetyFact msg)
    {
        var key = msg.Fact?.CaseKey ?? "";
        if (_store is not IEpisodeMemory memory)
        {
            Sender.Tell(new SafetyFactRemembered(key, false, "this store keeps no facts"));
            return;
        }
        try
        {
            memory.RememberSafetyFact(msg.Fact!);
            _log.Debug("Remembered safety review of case {0}: {1}", key, msg.Fact!.Verdict);
            Sender.Tell(new SafetyFactRemembered(key, true));
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Could not remember the safety review of case {0}: {1}", key, ex.Message);
            Sender.Tell(new SafetyFactRemembered(key, false, ex.Message));
        }
    }

    private void OnRecallSafetyFacts(RecallSafetyFacts msg)
    {
        try
        {
            var facts = _store is IEpisodeMemory memory && msg.Limit > 0 ? memory.SafetyFacts(null, msg.Limit) : [];
            Sender.Tell(new SafetyFactsRecalled([.. facts]));
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Could not read the remembered safety reviews: {0}", ex.Message);
            Sender.Tell(new SafetyFactsRecalled([]));
        }
    }

    private void OnRecallPlans(RecallPlanFor msg)
    {
        try
        {
            if (msg.Limit <= 0 || string.IsNullOrEmpty(msg.GoalStructure))
            {
                Sender.Tell(new PlansRecalled([]));
                return;
            }
            // Episodes that had an anomaly may hold a plan and its replans in one list: not one plan to repeat. A few
            // more are read than asked for so such episodes do not crowd out the rest.
            int read = msg.Limit * 4;
            var episodes = _store is IEpisodeMemory memory
                ? memory.SucceededWithGoal(msg.GoalStructure, read)
                : [.. _store.Recent(_recallPool).Where(e => e.Success && Core.Goals.GoalStructure.Of(e.Goal.IsDefault ? [] : e.Goal) == msg.GoalStructure).Take(read)];
            var plans = ImmutableArray.CreateBuilder<RememberedPlan>();
            foreach (var e in episodes)
            {
                if (plans.Count == msg.Limit) break;
                if (RememberedPlanOf(e) is { } plan) plans.Add(plan);
            }
            Sender.Tell(new PlansRecalled(plans.ToImmutable()));
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Could not recall plans for goal {0}: {1}", msg.GoalStructure, ex.Message);
            Sender.Tell(new PlansRecalled([]));
        }
    }

    /// <summary>The plan of a successful episode that ran it through without an anomaly, with its goal; else null.</summary>
    public static RememberedPlan? RememberedPlanOf(EpisodeRecord e)
    {
        if (!e.Success || e.Plan.IsDefaultOrEmpty || !e.Anomalies.IsDefaultOrEmpty || e.Goal.IsDefaultOrEmpty) return null;
        var relations = e.Goal.Select(Core.Goals.Relation.Parse).ToList();
        if (relations.Any(r => r is null)) return null;
        var steps = e.Plan.Select(s => PlanText.Parse(s)).Select(p => new SkillInvocation(p.Skill, [.. p.Args])).ToImmutableArray();
        if (steps.Any(s => s.Skill.Length == 0)) return null;
        return new RememberedPlan(e.Id, new Core.Goals.TaskGoal([.. relations!]), new Plan(steps));
    }

    /// <summary>The compact form of an episode that goes into a planner's context.</summary>
    public static EpisodeSummary Summarise(EpisodeRecord e) =>
        new(e.Id, e.Instruction, e.Success, e.Plan.IsDefaultOrEmpty ? "" : string.Join("; ", e.Plan), e.FailureReason);
}

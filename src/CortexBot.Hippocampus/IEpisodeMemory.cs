using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Hippocampus.Recall;

namespace CortexBot.Hippocampus;

/// <summary>
/// An <see cref="IEpisodeStore"/> that also keeps what recall and consolidation need: one embedding per episode and
/// the semantic facts, both written in the same transaction as the episode. Implemented by <see cref="SqliteEpisodeStore"/> and
/// the PostgreSQL store (CortexBot.Hippocampus.Postgres); the consolidation rule they share is <see cref="SemanticFactRow"/>.
/// </summary>
public interface IEpisodeMemory : IEpisodeStore
{
    IEpisodeEmbedder Embedder { get; }

    bool ReadOnly { get; }

    /// <summary>
    /// <see cref="IEpisodeStore.Append"/> with the episode's vector already computed by <see cref="Embedder"/> (null: the
    /// store computes it), so a caller that also indexes the episode embeds it once.
    /// </summary>
    long Append(EpisodeRecord episode, float[]? vector);

    /// <summary>Loads every episode's vector into a fresh exact index (vectors of another embedder are recomputed).</summary>
    EpisodeVectorIndex LoadIndex();

    /// <summary>Episodes passing the filter, most recently stored first.</summary>
    IReadOnlyList<EpisodeRecord> Query(RecallFilter filter, int limit);

    /// <summary>
    /// The successful episodes whose goal has <paramref name="goalStructure"/> (<see cref="Core.Goals.GoalStructure"/>, kept
    /// in the goal column), most recently stored first; without steps and trace.
    /// </summary>
    IReadOnlyList<EpisodeRecord> SucceededWithGoal(string goalStructure, int limit);

    /// <summary>Every episode in id order, read in pages (export).</summary>
    IEnumerable<EpisodeRecord> All();

    /// <summary>The semantic facts, all or those about one object, by object then skill.</summary>
    IReadOnlyList<SemanticFact> Facts(string? objectName = null);

    MemoryStats Stats();

    /// <summary>Remembers a safety review (a later review of the same case replaces it).</summary>
    void RememberSafetyFact(Core.Safety.SafetyFact fact);

    /// <summary>Remembered safety reviews, latest first: all (up to <paramref name="limit"/>) or those a task asked for.</summary>
    IReadOnlyList<Core.Safety.SafetyFact> SafetyFacts(Guid? taskId = null, int limit = 1000);

    /// <summary>How many episodes <see cref="Prune"/> would delete.</summary>
    long CountPrunable(PruneRule rule);

    /// <summary>Deletes the episodes the rule selects and recomputes the semantic facts, in one transaction.</summary>
    long Prune(PruneRule rule);

    /// <summary>Stores all given episodes in one transaction (episodes whose task id is already stored are skipped).</summary>
    ImportResult Import(IReadOnlyList<EpisodeRecord> episodes);
}

/// <summary>Which episodes a prune deletes: those started before <see cref="Before"/>, or all but the latest <see cref="Keep"/>.</summary>
public sealed record PruneRule(DateTimeOffset? Before, int? Keep)
{
    public static PruneRule StartedBefore(DateTimeOffset before) => new(before, null);
    public static PruneRule KeepLatest(int keep) => new(null, keep);

    public void Validate()
    {
        if ((Before is null) == (Keep is null))
            throw new ArgumentException("A prune needs exactly one of --before DATE or --keep N.");
        if (Keep is < 0)
            throw new ArgumentException($"--keep must be 0 or more, not {Keep}.");
    }
}

public sealed record ImportResult(int Imported, int Skipped, IReadOnlyList<long> Ids);

public sealed record TaskStat(string Instruction, long Episodes, long Successes);

public sealed record MemoryStats(
    string Location,
    int SchemaVersion,
    long Episodes,
    long Successes,
    long Failures,
    long Steps,
    DateTimeOffset? FirstStarted,
    DateTimeOffset? LastStarted,
    long Facts,
    long Embeddings,
    string EmbeddingModel,
    int EmbeddingDimension,
    long FileBytes,
    IReadOnlyList<TaskStat> TopTasks)
{
    public double SuccessRate => Episodes == 0 ? 0 : (double)Successes / Episodes;
}

using CortexBot.Core.Instructions;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Core.Skills;

namespace CortexBot.Cortex;

/// <summary>
/// A deterministic, model-free planner for simple pick-and-place instructions such as
/// "put the red cube in the bin", "pick up the green block and drop it into the basket", "go home" or "open the gripper":
/// the <see cref="InstructionReader"/> (shared with the host's success check) reads and grounds the instruction, and
/// every plan is checked by <see cref="PlanValidator"/> against the skill catalogue.
/// </summary>
public sealed class RulePlanner(bool preferLearned = false) : IPlanner
{
    public const string PlannerName = "rule";
    /// <summary>The learned skill that does a whole pick-and-place; used for "put X in Y" when preferred and catalogued.</summary>
    public const string LearnedTransfer = Core.Messages.SkillNames.LearnedPickPlace;

    public string Name => PlannerName;

    /// <summary>Whether "put X in Y" becomes the learned skill (when the catalogue has it) instead of pick + place.</summary>
    public bool PreferLearned { get; } = preferLearned;

    public Task<PlanResult> PlanAsync(PlanningContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        // After the learned skill itself failed, replan with the analytic skills rather than repeat it.
        bool learned = PreferLearned && context.Catalogue.Find(LearnedTransfer) is not null
            && context.Anomaly?.Detail.StartsWith(LearnedTransfer, StringComparison.Ordinal) != true;
        var facts = context.Facts.IsDefault ? [] : context.Facts;
        return Task.FromResult(MakePlan(context.Instruction, context.Scene, context.Catalogue, learned,
            learned ? obj => LearnedUnreliableFor(obj, facts) : null));
    }

    /// <summary>
    /// Whether memory says the learned skill has mostly failed with <paramref name="obj"/> (at least two failed attempts,
    /// more failures than successes): then the analytic skills are planned for it from the start.
    /// </summary>
    public static bool LearnedUnreliableFor(string obj, IReadOnlyList<SemanticFact> facts)
    {
        int ok = 0, bad = 0;
        foreach (var f in facts)
        {
            if (f.Skill != LearnedTransfer || f.Object != obj) continue;
            ok += f.Successes;
            bad += f.Failures + f.Aborts;
        }
        return bad >= 2 && bad > ok;
    }

    /// <summary>Plans <paramref name="instruction"/> synchronously (the planner is pure and cheap): the
    /// <see cref="InstructionReader"/>'s reading, checked by <see cref="PlanValidator"/> against the catalogue.</summary>
    /// <param name="avoidLearned">With <paramref name="learnedTransfer"/>: objects the learned skill should not be used for.</param>
    public static PlanResult MakePlan(string? instruction, SceneSnapshot scene, SkillCatalogue catalogue, bool learnedTransfer = false,
        Func<string, bool>? avoidLearned = null)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(catalogue);
        var reading = InstructionReader.Read(instruction, scene, learnedTransfer, avoidLearned);
        if (reading.Plan is not { } plan) return reading;
        var invalid = PlanValidator.Validate(plan, catalogue, scene);
        return invalid is null
            ? reading
            : PlanResult.Refuse($"I can't do that with the available skills: {invalid}");
    }
}

using CortexBot.Core.Goals;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Core.Instructions;

/// <summary>
/// Reads instructions ("put the red cube in the bin", "pick up the green block and drop it into the basket", "put all
/// the red cubes in the bin", "stack the red cube on the blue cube", "build a tower of the red, green and blue cubes",
/// "sort the cubes by colour into the matching bins", "clear the table into the bin", "go home", "open the gripper")
/// into skill steps grounded in the scene, and the goal they ask for (the relations that must hold at the end:
/// <c>in(red_cube, bin)</c>, <c>on(red_cube, blue_cube)</c>, <c>lifted(red_cube)</c>); anything it cannot understand or
/// ground, and anything impossible or contradictory, is refused with a one-line reason. The one reader behind both the
/// rule planner (which checks the steps against the skill catalogue) and the host's success check (which judges the
/// goal). Pure and cheap: no model, no catalogue.
/// <para>A tower is read bottom first: "a tower of A, B and C" stands A on the table, B on A and C on B.</para>
/// </summary>
public static partial class InstructionReader
{
    /// <summary>
    /// The steps <paramref name="instruction"/> asks for in <paramref name="scene"/>, with its goal in
    /// <see cref="PlanResult.Goal"/> (null when it asks for no physical outcome, e.g. "go home"), or a refusal.
    /// </summary>
    /// <param name="learnedTransfer">"Put X in Y" becomes the learned pick-and-place skill instead of pick + place.</param>
    /// <param name="avoidLearned">With <paramref name="learnedTransfer"/>: objects the learned skill should not be used for.</param>
    public static PlanResult Read(string? instruction, SceneSnapshot scene, bool learnedTransfer = false, Func<string, bool>? avoidLearned = null)
    {
        ArgumentNullException.ThrowIfNull(scene);
        try
        {
            var parser = new Parser(instruction ?? "", scene) { LearnedTransfer = learnedTransfer, AvoidLearned = avoidLearned };
            var plan = parser.Run();
            return PlanResult.Of(plan) with { Goal = parser.Goal };
        }
        catch (RefusalException refusal)
        {
            return PlanResult.Refuse(refusal.Message);
        }
    }

    private sealed class RefusalException(string reason) : Exception(reason);

    private sealed partial class Parser(string text, SceneSnapshot scene)
    {
        private readonly SceneSnapshot _scene = scene;
        private readonly List<SceneObject> _objects = scene.Objects.IsDefault ? [] : [.. scene.Objects];
        private readonly List<SkillInvocation> _steps = [];
        public bool LearnedTransfer { get; init; }
        public Func<string, bool>? AvoidLearned { get; init; }
        private SceneObject? _held;
        private List<SceneObject> _lastMentioned = [];
        private readonly List<Relation> _goal = [];

        /// <summary>The relations the instruction asks for, the last word about each object counting; null when none.</summary>
        public TaskGoal? Goal => _goal.Count == 0 ? null : new TaskGoal([.. _goal]);

        private IEnumerable<SceneObject> Graspables => _objects.Where(o => !o.IsContainer);
        private IEnumerable<SceneObject> Containers => _objects.Where(o => o.IsContainer);

        public Plan Run()
        {
            if (string.IsNullOrWhiteSpace(text))
                throw new RefusalException("the instruction is empty; tell me what to do, e.g. 'put the red cube in the bin'");

            var tokens = Tokenize(text);
            var clauses = SplitClauses(tokens);
            foreach (var clause in clauses) ParseClause(clause);

            if (_steps.Count == 0)
                throw new RefusalException($"I don't understand '{text.Trim()}'; {Abilities}");
            return new Plan([.. _steps]);
        }
    }
}

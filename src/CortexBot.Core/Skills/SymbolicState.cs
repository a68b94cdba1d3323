using CortexBot.Core.Goals;
using CortexBot.Core.Messages;

namespace CortexBot.Core.Skills;

/// <summary>
/// What a plan's steps do to the world as far as the catalogue's conditions say: what the gripper holds and which
/// in/on relations hold. Starts from a perceived scene (objects already in a container or resting on another), with the
/// hand empty, and follows the plan step by step; <see cref="Apply"/> refuses a step whose preconditions do not hold.
/// The one symbolic simulation behind the rule planner, the plan validator and the model planner's checks.
/// </summary>
public sealed class SymbolicState
{
    private readonly SceneSnapshot _scene;
    private readonly HashSet<Relation> _relations = [];

    private SymbolicState(SceneSnapshot scene) => _scene = scene;

    /// <summary>The object the gripper holds, or null.</summary>
    public string? Held { get; private set; }

    /// <summary>The in/on relations that hold now.</summary>
    public IReadOnlyCollection<Relation> Relations => _relations;

    /// <summary>The state a plan starts from: empty hands, and the relations the scene shows.</summary>
    public static SymbolicState FromScene(SceneSnapshot scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        var state = new SymbolicState(scene);
        var objects = scene.Objects.IsDefault ? [] : scene.Objects;
        foreach (var o in objects.Where(o => !o.IsContainer))
        {
            foreach (var c in objects.Where(c => c.IsContainer))
                if (scene.IsInside(o.Name, c.Name)) state._relations.Add(new Relation.In(o.Name, c.Name));
            foreach (var b in objects.Where(b => !b.IsContainer && !ReferenceEquals(b, o)))
                if (Relation.IsOn(o, b)) state._relations.Add(new Relation.On(o.Name, b.Name));
        }
        return state;
    }

    /// <summary>Whether <paramref name="relation"/> holds in this state (lifted: while held).</summary>
    public bool Holds(Relation relation) => relation switch
    {
        Relation.Lifted l => Same(Held, l.Object),
        _ => _relations.Contains(Canonical(relation)),
    };

    /// <summary>What rests on <paramref name="name"/>, or null when it is clear.</summary>
    public string? OnTopOf(string name) =>
        _relations.OfType<Relation.On>().FirstOrDefault(r => Same(r.Base, name))?.Object;

    /// <summary>
    /// Runs one step: null when its preconditions held (the effects are then applied), else why not, naming the
    /// object; the state is unchanged then. A step naming one object twice is refused whatever the catalogue says.
    /// </summary>
    public string? Apply(SkillInvocation step, SkillSpec spec)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(spec);
        var args = step.Args.IsDefault ? [] : step.Args;
        if (args.Length != spec.Args.Count) return $"{spec.Name} takes {spec.Args.Count} argument(s), got {args.Length}";
        var twice = args.GroupBy(a => a, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) return $"{step} names {twice.Key} twice";

        string Bind(string name)
        {
            for (int i = 0; i < spec.Args.Count; i++) if (spec.Args[i].Name == name) return args[i];
            return name; // "*"
        }

        foreach (var c in spec.Preconditions)
        {
            if (Unmet(c, Bind) is { } reason) return $"{step}: {reason}";
        }
        foreach (var c in spec.Postconditions) Effect(c, Bind);
        return null;
    }

    private string? Unmet(SkillCondition c, Func<string, string> bind)
    {
        string A(int i) => bind(c.Args[i]);
        bool holds;
        switch (c.Predicate)
        {
            case Predicate.HandEmpty:
                holds = Held is null;
                return holds == !c.Negated ? null : c.Negated ? "the gripper holds nothing" : $"the gripper already holds {Held}; place or release it first";
            case Predicate.Holding:
                holds = Same(Held, A(0));
                if (holds == !c.Negated) return null;
                return c.Negated ? $"the gripper holds {A(0)}" : Held is null ? $"the gripper holds nothing; pick {A(0)} first" : $"the gripper holds {Held}, not {A(0)}";
            case Predicate.Clear:
                var top = OnTopOf(A(0));
                holds = top is null;
                if (holds == !c.Negated) return null;
                return c.Negated ? $"nothing is on {A(0)}" : $"{top} is on {A(0)}; move it first";
            case Predicate.Graspable:
                var o = _scene.Find(A(0));
                holds = o is not { IsContainer: true };
                if (holds == !c.Negated) return null;
                return c.Negated ? $"{A(0)} can be held" : $"{A(0)} is a container and cannot be held or stacked on";
            case Predicate.In:
            case Predicate.On:
                var r = Make(c.Predicate, A(0), A(1));
                holds = _relations.Contains(r);
                return holds == !c.Negated ? null : c.Negated ? $"{r} already holds" : $"{r} does not hold";
            default:
                return $"unknown condition {c}";
        }
    }

    private void Effect(SkillCondition c, Func<string, string> bind)
    {
        string A(int i) => bind(c.Args[i]);
        switch (c.Predicate)
        {
            case Predicate.HandEmpty: Held = null; break;
            case Predicate.Holding: Held = A(0); break;
            case Predicate.In:
            case Predicate.On:
                if (!c.Negated)
                {
                    _relations.Add(Make(c.Predicate, A(0), A(1)));
                    break;
                }
                var (a, b) = (A(0), A(1));
                _relations.RemoveWhere(r => r.GetType() == Make(c.Predicate, "x", "y").GetType()
                    && (a == SkillCondition.Any || Same(r.Objects[0], a)) && (b == SkillCondition.Any || Same(r.Objects[1], b)));
                break;
        }
    }

    private Relation Make(Predicate p, string a, string b) =>
        p == Predicate.In ? new Relation.In(Name(a), Name(b)) : new Relation.On(Name(a), Name(b));

    private Relation Canonical(Relation r) => r switch
    {
        Relation.In i => new Relation.In(Name(i.Object), Name(i.Container)),
        Relation.On o => new Relation.On(Name(o.Object), Name(o.Base)),
        _ => r,
    };

    /// <summary>The scene's spelling of a name, so relations compare whatever case a planner wrote.</summary>
    private string Name(string n) => _scene.Find(n)?.Name ?? n;

    private static bool Same(string? a, string? b) => a is not null && b is not null && string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Runs <paramref name="plan"/> from <paramref name="scene"/>: null when every step's preconditions hold in turn,
    /// else <c>step N: reason</c> for the first that breaks one. Steps naming skills not in the catalogue are skipped
    /// (the validator reports those). <paramref name="final"/> is the state after the last step that ran.
    /// </summary>
    public static string? Simulate(Plan plan, SkillCatalogue catalogue, SceneSnapshot scene, out SymbolicState final)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(catalogue);
        final = FromScene(scene);
        var steps = plan.Steps.IsDefault ? [] : plan.Steps;
        for (int i = 0; i < steps.Length; i++)
        {
            if (steps[i] is not { } step || catalogue.Find(step.Skill) is not { } spec) continue;
            if (final.Apply(step, spec) is { } reason) return $"step {i + 1}: {reason}";
        }
        return null;
    }

    /// <summary>The goal relations this state does not reach (lifted: the object must be held at the end).</summary>
    public IEnumerable<Relation> Missing(TaskGoal goal) => goal.Relations.Where(r => !Holds(r));
}

using System.Collections.Immutable;
using CortexBot.Core.Goals;
using CortexBot.Core.Messages;
using CortexBot.Core.Skills;

namespace CortexBot.Host;

/// <summary>
/// Builds an episode's <see cref="ExecutionTree"/> as it runs: the <see cref="EpisodeJournal"/> tells it the plans, repairs,
/// steps and subgoal checks; one node per subgoal relation across plans, so a repaired or re-planned subgoal keeps
/// its history (the failed skills, then the ones that brought it about). Plain and single-threaded, like the journal.
/// </summary>
internal sealed class ExecutionTreeBuilder(string task)
{
    private sealed class Sub(Relation? relation)
    {
        public Relation? Relation { get; } = relation;
        public string Status = NodeStatus.Pending;
        public double? Start, End;
        public string? Check;
        public int Repairs;
        public bool EverFailed;
        public readonly List<Skill> Skills = [];
    }

    private sealed class Skill(Sub parent, string name)
    {
        public Sub Parent { get; } = parent;
        public string Name { get; } = name;
        public string Status = NodeStatus.Pending;
        public double? Start, End;
        public int? Step;
    }

    private readonly List<Sub> _subs = [];
    /// <summary>The skill node of each step of the plan in force, by index.</summary>
    private List<Skill> _plan = [];

    public bool Planned => _subs.Count > 0;

    /// <summary>A plan (first or new) is in force: what is left of the previous one is skipped.</summary>
    public void Adopt(Plan plan, ImmutableArray<Subgoal> subgoals)
    {
        SkipPending(_plan);
        _plan = [.. Nodes(plan, subgoals, repair: _subs.Count > 0)];
    }

    /// <summary>
    /// A repair of <paramref name="failed"/> replaces the plan's steps up to its end; the later steps stay.
    /// </summary>
    public void Repair(Plan repair, Subgoal failed)
    {
        SkipPending(_plan.Take(failed.Last + 1));
        var nodes = Nodes(repair, [new Subgoal(failed.Relation, 0, repair.Steps.Length - 1)], repair: true);
        _plan = [.. nodes, .. _plan.Skip(failed.Last + 1)];
    }

    private IEnumerable<Skill> Nodes(Plan plan, ImmutableArray<Subgoal> subgoals, bool repair)
    {
        var groups = subgoals.IsDefaultOrEmpty ? [new Subgoal(null, 0, plan.Steps.Length - 1)] : subgoals;
        var nodes = new Skill[plan.Steps.Length];
        foreach (var g in groups)
        {
            var sub = _subs.LastOrDefault(s => Equals(s.Relation, g.Relation));
            if (sub is null) _subs.Add(sub = new Sub(g.Relation));
            else if (repair && sub.Skills.Count > 0) sub.Repairs++;
            if (sub.Status is NodeStatus.Skipped) sub.Status = NodeStatus.Pending;
            for (int i = g.First; i <= g.Last && i < nodes.Length; i++)
            {
                nodes[i] = new Skill(sub, plan.Steps[i].ToString());
                sub.Skills.Add(nodes[i]);
            }
        }
        return nodes.Where(n => n is not null);
    }

    private static void SkipPending(IEnumerable<Skill> skills)
    {
        foreach (var s in skills)
        {
            if (s.Status != NodeStatus.Pending) continue;
            s.Status = NodeStatus.Skipped;
            if (s.Parent.Skills.All(k => k.Status == NodeStatus.Skipped)) s.Parent.Status = NodeStatus.Skipped;
        }
    }

    /// <summary>Step <paramref name="index"/> of the plan in force was sent at <paramref name="at"/> as step record <paramref name="record"/>.</summary>
    public void Began(int index, int record, double at)
    {
        if (index < 0 || index >= _plan.Count) return;
        var node = _plan[index];
        if (node.Status != NodeStatus.Pending)
        {
            // sent again (an organ restarted under it): the attempt is a skill node of its own
            var again = new Skill(node.Parent, node.Name);
            node.Parent.Skills.Insert(node.Parent.Skills.IndexOf(node) + 1, again);
            _plan[index] = node = again;
        }
        node.Status = NodeStatus.Running;
        node.Start = at;
        node.Step = record;
        node.Parent.Start ??= at;
        if (node.Parent.Status is NodeStatus.Pending or NodeStatus.Skipped) node.Parent.Status = NodeStatus.Running;
    }

    /// <summary>Step <paramref name="index"/> ended at <paramref name="at"/>.</summary>
    public void Ended(int index, bool succeeded, double at)
    {
        if (index < 0 || index >= _plan.Count) return;
        var node = _plan[index];
        node.Status = succeeded ? NodeStatus.Succeeded : NodeStatus.Failed;
        node.End = at;
        var sub = node.Parent;
        sub.End = at;
        if (!succeeded)
        {
            sub.Status = NodeStatus.Failed;
            sub.EverFailed = true;
        }
        // a subgoal without a relation is done when its last skill succeeds; one with a relation when its check holds
        else if (sub.Relation is null && sub.Skills[^1] == node) sub.Status = sub.EverFailed ? NodeStatus.Repaired : NodeStatus.Succeeded;
    }

    /// <summary>
    /// The relation was checked from the scene at <paramref name="at"/> (null <paramref name="reason"/> when it holds):
    /// as the subgoal just ended (<paramref name="ended"/>), or as an earlier one looked at again, which only changes
    /// when it no longer holds or holds again.
    /// </summary>
    public void Checked(Relation relation, string? reason, double at, bool ended)
    {
        var sub = _subs.LastOrDefault(s => Equals(s.Relation, relation));
        if (sub is null) return;
        if (!ended && reason is null && sub.Status != NodeStatus.Failed) return;
        sub.Check = reason is null ? "holds" : ended ? reason : $"knocked out again: {reason}";
        sub.End = at;
        if (reason is null) sub.Status = sub.EverFailed ? NodeStatus.Repaired : NodeStatus.Succeeded;
        else
        {
            sub.Status = NodeStatus.Failed;
            sub.EverFailed = true;
        }
    }

    /// <summary>The tree at the end (<paramref name="status"/>) or while running; what never ran is skipped once ended.</summary>
    public ExecutionTree Build(string status, double endS, bool ended)
    {
        var subs = _subs.Select(s =>
        {
            var skills = s.Skills.Select(k => new SkillNode(k.Name, ended && k.Status is NodeStatus.Pending ? NodeStatus.Skipped
                : ended && k.Status is NodeStatus.Running ? NodeStatus.Failed : k.Status, k.Start, k.End, k.Step));
            var st = !ended ? s.Status : s.Status switch
            {
                NodeStatus.Pending => NodeStatus.Skipped,
                // its skills ran but it was never checked (the episode ended first)
                NodeStatus.Running => NodeStatus.Failed,
                _ => s.Status,
            };
            return new SubgoalNode(s.Relation?.ToString(), st, s.Start, s.End, s.Check, s.Repairs, [.. skills]);
        });
        return new ExecutionTree(task, status, 0, ended ? Math.Round(endS, 3) : null, [.. subs]);
    }
}

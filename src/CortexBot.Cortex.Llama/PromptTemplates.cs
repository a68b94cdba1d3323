using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Core.Skills;

namespace CortexBot.Cortex.Llama;

/// <summary>
/// The editable prompt templates in <c>agents/prompts/</c> (<c>plan.system.txt</c>, <c>plan.user.txt</c>, <c>retry.txt</c>)
/// and the compact renderings of catalogue, scene, memories and anomaly that fill them.
/// </summary>
public sealed partial class PromptTemplates
{
    public const int MaxMemories = 5;
    public const int MaxFacts = 8;

    public string System { get; }
    public string User { get; }
    public string Retry { get; }

    public PromptTemplates(string system, string user, string retry)
    {
        Check("plan.system.txt", system, required: ["skills"], allowed: ["skills"]);
        Check("plan.user.txt", user, required: ["instruction"], allowed: ["instruction", "scene", "goal", "memories", "facts", "anomaly", "feedback"]);
        Check("retry.txt", retry, required: [], allowed: ["previous", "reason"]);
        System = system;
        User = user;
        Retry = retry;
    }

    public static string DefaultDirectory => Path.Combine(RepoPaths.Agents, "prompts");

    /// <summary>Loads the three templates; throws <see cref="ConfigurationException"/> naming a missing file or bad placeholder.</summary>
    public static PromptTemplates Load(string? directory = null)
    {
        directory ??= DefaultDirectory;
        string Read(string name)
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path)) throw new ConfigurationException($"prompt template not found: {path}");
            return File.ReadAllText(path).TrimEnd('\r', '\n');
        }
        return new PromptTemplates(Read("plan.system.txt"), Read("plan.user.txt"), Read("retry.txt"));
    }

    [GeneratedRegex(@"\{\{\s*([a-z_]+)\s*\}\}")]
    private static partial Regex Placeholder();

    private static void Check(string file, string template, string[] required, string[] allowed)
    {
        var found = Placeholder().Matches(template).Select(m => m.Groups[1].Value).ToHashSet();
        foreach (var name in found)
            if (!allowed.Contains(name))
                throw new ConfigurationException($"prompt template {file}: unknown placeholder {{{{{name}}}}} (allowed: {string.Join(", ", allowed)})");
        foreach (var name in required)
            if (!found.Contains(name))
                throw new ConfigurationException($"prompt template {file} must contain {{{{{name}}}}}");
    }

    private static string Fill(string template, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(template, m => values.GetValueOrDefault(m.Groups[1].Value, ""));

    public string RenderSystem(SkillCatalogue catalogue) =>
        Fill(System, new Dictionary<string, string> { ["skills"] = Skills(catalogue) });

    public string RenderUser(PlanningContext context, string? feedback) =>
        Fill(User, new Dictionary<string, string>
        {
            ["instruction"] = OneLine(context.Instruction, 400),
            ["scene"] = Scene(context.Scene),
            ["goal"] = Goal(context),
            ["memories"] = Memories(context.Memories.IsDefaultOrEmpty ? null : context.Memories),
            ["facts"] = Facts(context.Facts.IsDefaultOrEmpty ? null : context.Facts, context.Scene),
            ["anomaly"] = context.Anomaly is { } a ? OneLine($"{a.Kind}: {a.Detail}", 300) : "none",
            ["feedback"] = string.IsNullOrEmpty(feedback) ? "" : feedback + "\n",
        });

    public string RenderRetry(string previous, string reason) =>
        Fill(Retry, new Dictionary<string, string> { ["previous"] = OneLine(previous, 400), ["reason"] = OneLine(reason, 300) });

    /// <summary>One line per skill: its arguments, description, and what it requires and brings about (from the catalogue).</summary>
    public static string Skills(SkillCatalogue catalogue) =>
        string.Join("\n", catalogue.Skills.Select(s =>
            $"- {s.Name}({string.Join(", ", s.Args.Select(a => a.Kind == ArgKind.Container ? $"{a.Name}: container" : a.Name))}): {s.Description}" +
            (s.Preconditions.IsEmpty ? "" : $" Requires: {string.Join(", ", s.Preconditions)}.") +
            (s.Postconditions.IsEmpty ? "" : $" Then: {string.Join(", ", s.Postconditions)}.")));

    public static string Scene(SceneSnapshot scene)
    {
        if (scene.Objects.IsDefaultOrEmpty) return "nothing";
        return string.Join("; ", scene.Objects.Select(o =>
            string.Create(CultureInfo.InvariantCulture,
                $"{o.Name} ({(o.IsContainer ? "container" : o.Kind)}) at {o.Pose.Position.X:F2},{o.Pose.Position.Y:F2},{o.Pose.Position.Z:F2}")));
    }

    /// <summary>
    /// The relations the plan must leave holding: the context's goal, else what the instruction reader makes of the
    /// instruction; "unknown" when it cannot tell (the model then reads the instruction alone).
    /// </summary>
    public static string Goal(PlanningContext context)
    {
        var goal = context.Goal ?? Core.Instructions.InstructionReader.Read(context.Instruction, context.Scene).Goal;
        return goal is null || goal.Relations.IsDefaultOrEmpty ? "unknown" : string.Join(", ", goal.Describe());
    }

    /// <summary>At most <see cref="MaxMemories"/> past episodes, one short clause each.</summary>
    public static string Memories(IReadOnlyList<EpisodeSummary>? memories)
    {
        if (memories is null || memories.Count == 0) return "none";
        var sb = new StringBuilder();
        foreach (var m in memories.Take(MaxMemories))
        {
            if (sb.Length > 0) sb.Append("; ");
            sb.Append('"').Append(OneLine(m.Instruction, 80)).Append("\" -> ").Append(OneLine(m.Plan, 120))
              .Append(m.Success ? " succeeded" : $" failed ({OneLine(m.FailureReason ?? "unknown", 80)})");
        }
        return sb.ToString();
    }

    /// <summary>
    /// What experience says about the objects in the scene: at most <see cref="MaxFacts"/> facts, most attempted first,
    /// one short clause each, e.g. <c>pick red_cube [firm_grip]: 4 ok, 0 failed</c>.
    /// </summary>
    public static string Facts(IReadOnlyList<SemanticFact>? facts, SceneSnapshot scene)
    {
        if (facts is null || facts.Count == 0) return "none";
        var present = scene.Objects.IsDefaultOrEmpty ? [] : scene.Objects.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var chosen = facts.Where(f => present.Contains(f.Object)).OrderByDescending(f => f.Attempts).ThenBy(f => f.Object, StringComparer.Ordinal)
            .ThenBy(f => f.Skill, StringComparer.Ordinal).ThenBy(f => f.Tuning, StringComparer.Ordinal).Take(MaxFacts).ToList();
        if (chosen.Count == 0) return "none";
        return string.Join("; ", chosen.Select(f =>
            $"{f.Skill} {f.Object}{(f.Tuning.Length == 0 ? "" : $" [{OneLine(f.Tuning, 40)}]")}: {f.Successes} ok, {f.Failures + f.Aborts} failed" +
            (f.RecentFailureReasons.IsDefaultOrEmpty ? "" : $" ({OneLine(f.RecentFailureReasons[0], 60)})")));
    }

    private static string OneLine(string? text, int max)
    {
        var s = (text ?? "").ReplaceLineEndings(" ").Trim();
        return s.Length <= max ? s : s[..max] + "...";
    }
}

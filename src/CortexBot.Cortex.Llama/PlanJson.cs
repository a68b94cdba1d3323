using System.Collections.Immutable;
using System.Text.Json;
using CortexBot.Core.Messages;

namespace CortexBot.Cortex.Llama;

/// <summary>Parses a model's JSON plan, <c>{"steps": [{"skill": "pick", "args": ["red_cube"]}, ...]}</c>.</summary>
public static class PlanJson
{
    /// <summary>The plan, or null with a one-line <paramref name="error"/> that can be fed back to the model.</summary>
    public static Plan? TryParse(string text, out string? error)
    {
        if (string.IsNullOrWhiteSpace(text)) { error = "the answer was empty"; return null; }
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 8 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("steps", out var steps) || steps.ValueKind != JsonValueKind.Array)
            {
                error = "the answer is not an object with a \"steps\" array";
                return null;
            }
            var list = ImmutableArray.CreateBuilder<SkillInvocation>();
            int i = 0;
            foreach (var step in steps.EnumerateArray())
            {
                i++;
                if (step.ValueKind != JsonValueKind.Object || !step.TryGetProperty("skill", out var skill) || skill.ValueKind != JsonValueKind.String)
                {
                    error = $"step {i} has no \"skill\" string";
                    return null;
                }
                var args = ImmutableArray.CreateBuilder<string>();
                if (step.TryGetProperty("args", out var a))
                {
                    if (a.ValueKind != JsonValueKind.Array) { error = $"step {i}: \"args\" is not an array"; return null; }
                    foreach (var arg in a.EnumerateArray())
                    {
                        if (arg.ValueKind != JsonValueKind.String) { error = $"step {i}: every argument must be a string"; return null; }
                        args.Add(arg.GetString()!);
                    }
                }
                list.Add(new SkillInvocation(skill.GetString()!, args.ToImmutable()));
            }
            error = null;
            return new Plan(list.ToImmutable());
        }
        catch (JsonException e)
        {
            error = $"the answer is not complete JSON ({e.Message.Split('.')[0]})";
            return null;
        }
    }

    /// <summary>The JSON form of a plan (the same shape the grammar allows).</summary>
    public static string Format(Plan plan) =>
        JsonSerializer.Serialize(new { steps = plan.Steps.Select(s => new { skill = s.Skill, args = s.Args.IsDefault ? [] : s.Args.ToArray() }) });
}

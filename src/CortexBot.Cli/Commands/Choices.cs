using System.CommandLine;
using System.CommandLine.Parsing;

namespace CortexBot.Cli.Commands;

/// <summary>
/// Options with a fixed set of values: `--help` lists them (&lt;a|b&gt;), shells complete them, and any other value is
/// refused at parse time with one line naming the option and its choices (exit 2).
/// </summary>
internal static class Choices
{
    /// <summary>The lower-case name users type for an enum value (RobotKind.Ros2 -> "ros2").</summary>
    public static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    public static string[] Names<T>() where T : struct, Enum => [.. System.Enum.GetValues<T>().Select(Name)];

    /// <summary>Parses <paramref name="text"/> as one of <typeparamref name="T"/>'s lower-case names, or null.</summary>
    public static T? Parse<T>(string? text) where T : struct, Enum =>
        System.Enum.GetValues<T>().Cast<T?>().FirstOrDefault(v => string.Equals(Name(v!.Value), text?.Trim(), StringComparison.OrdinalIgnoreCase));

    public static string Refusal(string option, string? got, IEnumerable<string> choices) =>
        $"{option} must be one of {string.Join(", ", choices)}, got '{got}'";

    /// <summary>An enum-typed option whose values are the enum's lower-case names.</summary>
    public static Option<T> Enum<T>(string name, string description, T defaultValue) where T : struct, Enum
    {
        var names = Names<T>();
        var option = new Option<T>(name)
        {
            Description = description,
            HelpName = string.Join('|', names),
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r =>
            {
                if (r.Tokens.Count == 0) return defaultValue;
                var text = r.Tokens[^1].Value;
                if (Parse<T>(text) is { } v) return v;
                r.AddError(Refusal(name, text, names));
                return defaultValue;
            },
        };
        option.CompletionSources.Add(names);
        return option;
    }

    /// <summary>An optional enum-typed option (null when not given).</summary>
    public static Option<T?> OptionalEnum<T>(string name, string description) where T : struct, Enum
    {
        var names = Names<T>();
        var option = new Option<T?>(name)
        {
            Description = description,
            HelpName = string.Join('|', names),
            CustomParser = r =>
            {
                if (r.Tokens.Count == 0) return null;
                var text = r.Tokens[^1].Value;
                if (Parse<T>(text) is { } v) return v;
                r.AddError(Refusal(name, text, names));
                return null;
            },
        };
        option.CompletionSources.Add(names);
        return option;
    }

    /// <summary>Restricts a string option to <paramref name="choices"/> (exact, lower-case), listed in help.</summary>
    public static Option<string> Among(this Option<string> option, params string[] choices)
    {
        option.HelpName = string.Join('|', choices);
        option.CompletionSources.Add(choices);
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count == 0) return;
            var text = r.Tokens[^1].Value;
            if (!choices.Contains(text, StringComparer.Ordinal)) r.AddError(Refusal(option.Name, text, choices));
        });
        return option;
    }
}

using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using CortexBot.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CortexBot.Cli.Commands;

/// <summary>
/// Values of a command's options from three places besides the command line: `--config FILE` (JSON or YAML) and
/// <c>CORTEXBOT_*</c> environment variables. Precedence: flag &gt; environment &gt; file &gt; default. A file key (or an
/// environment variable's name after <c>CORTEXBOT_</c>) is the option's long name without dashes, '-' or '_' between
/// words: <c>stale_ms: 50</c>, <c>CORTEXBOT_STALE_MS=50</c>. A file may put its keys under a top-level <c>cortexbot:</c>.
/// Values become command-line tokens parsed by the option's own parser and validators, so a file is checked exactly as
/// flags are; every problem names the key and where it came from, and is an input error (exit 2).
/// </summary>
internal static class ConfigSources
{
    public const string ConfigName = "--config";
    public const string EnvironmentPrefix = "CORTEXBOT_";
    /// <summary>Environment variables of the launcher and the error handler, not options.</summary>
    private static readonly HashSet<string> Reserved = ["CORTEXBOT_HOME", "CORTEXBOT_TRACE"];

    public static Option<string?> ConfigOption() => new(ConfigName)
    {
        Description = "JSON or YAML file of option values (keys: option names without dashes, e.g. stale_ms: 50); flags and CORTEXBOT_* environment variables override it",
        Recursive = true,
    };

    /// <summary>Where an injected value came from, for error messages: "config FILE: key 'k'" or "environment variable X".</summary>
    private sealed record Source(string Where);

    /// <summary>
    /// Parses <paramref name="args"/> with values from the config file and environment filled in for the options the
    /// command line leaves unset. Throws <see cref="ConfigurationException"/> naming the key for a bad file or value.
    /// </summary>
    public static ParseResult Parse(RootCommand root, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var first = root.Parse(args);
        if (first.CommandResult.Command == root)
            return first; // no command named: nothing to fill in
        var options = OptionsOf(first.CommandResult);
        var byKey = new Dictionary<string, Option>(StringComparer.Ordinal);
        foreach (var o in options)
            if (o.Name != ConfigName && o is not HelpOption and not VersionOption)
                byKey[Key(o.Name)] = o;

        var values = new Dictionary<Option, (List<string> Values, Source From)>();
        var commandName = CommandPath(first.CommandResult);
        if (ConfigPath(args) is { } file)
        {
            foreach (var (key, value) in Load(file))
            {
                var where = $"config {file}";
                if (!byKey.TryGetValue(Key(key), out var option))
                    throw new ConfigurationException($"{where}: unknown key '{key}' (`{commandName}` has no option --{key.Replace('_', '-')})");
                values[option] = (ToTokens(option, value, $"{where}: key '{key}'"), new Source($"{where}: key '{key}'"));
            }
        }
        foreach (var (name, text) in environment)
        {
            if (!name.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) || Reserved.Contains(name)) continue;
            // the environment is shared by every command: a variable that is no option of this one is not an error
            if (!byKey.TryGetValue(Key(name[EnvironmentPrefix.Length..]), out var option)) continue;
            var where = $"environment variable {name}";
            values[option] = (ToTokens(option, new Scalar(text), where), new Source(where));
        }

        var injected = new Dictionary<Option, Source>();
        var full = new List<string>(args);
        foreach (var (option, (tokens, from)) in values)
        {
            if (first.GetResult(option) is { Implicit: false }) continue; // the flag wins
            injected[option] = from;
            if (tokens.Count == 0) { full.Add(option.Name); continue; }
            foreach (var t in tokens) { full.Add(option.Name); full.Add(t); }
        }
        if (injected.Count == 0) return first;
        // The injected tokens go after the user's own; a "--" ending the options would swallow them.
        if (args.Contains("--")) throw new ConfigurationException("--config and CORTEXBOT_* values cannot be combined with a '--' argument separator");
        var parse = root.Parse(full);
        foreach (var error in parse.Errors)
            if (error.SymbolResult is OptionResult r && injected.TryGetValue(r.Option, out var from))
                throw new ConfigurationException($"{from.Where}: {error.Message}");
        return parse;
    }

    /// <summary>The options a command takes: its own and its ancestors' recursive ones.</summary>
    private static List<Option> OptionsOf(CommandResult command)
    {
        var list = new List<Option>(command.Command.Options);
        for (var parent = command.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
            list.AddRange(parent.Command.Options.Where(o => o.Recursive));
        return list;
    }

    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? c = command; c is CommandResult r; c = r.Parent)
            names.Insert(0, r.Command is RootCommand ? "cortexbot" : r.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>"--stale-ms", "stale_ms", "STALE_MS" all become "stale_ms".</summary>
    private static string Key(string name) => name.TrimStart('-').Replace('-', '_').ToLowerInvariant();

    private static string? ConfigPath(IReadOnlyList<string> args)
    {
        string? path = null;
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == "--") break;
            if (args[i] == ConfigName && i + 1 < args.Count) path = args[++i];
            else if (args[i].StartsWith(ConfigName + "=", StringComparison.Ordinal)) path = args[i][(ConfigName.Length + 1)..];
        }
        return path;
    }

    /// <summary>A config value: one scalar (its text as written), a list of scalars, or a mapping (never valid for an option).</summary>
    private abstract record Value;
    private sealed record Scalar(string Text) : Value;
    private sealed record Sequence(IReadOnlyList<Value> Items) : Value;
    private sealed record Mapping : Value;

    private static List<string> ToTokens(Option option, Value value, string where)
    {
        ConfigurationException Fail(string why) => new($"{where}: {why}");
        bool many = option.ValueType != typeof(string) && option.ValueType.IsArray;
        switch (value)
        {
            case Scalar s when option.ValueType == typeof(bool):
                // a flag: true sets it, false leaves it off (passed explicitly so a bad text is refused by the parser)
                return [s.Text.ToLowerInvariant() is "true" or "false" ? s.Text.ToLowerInvariant() : s.Text];
            case Scalar s:
                return [s.Text];
            case Sequence q when q.Items.Any(i => i is not Scalar):
                throw Fail("a list of single values was expected, not nested lists or mappings");
            case Sequence q when many:
                return [.. q.Items.Cast<Scalar>().Select(i => i.Text)];
            case Sequence q when option.Description?.Contains("comma-separated", StringComparison.OrdinalIgnoreCase) == true:
                // options that take a comma-separated list (--gripper-joints, --sizes) take a YAML/JSON list too
                return [string.Join(',', q.Items.Cast<Scalar>().Select(i => i.Text))];
            case Sequence:
                throw Fail($"{option.Name} takes a single value, not a list");
            case Mapping:
                throw Fail($"{option.Name} takes a single value, not a mapping");
        }
        throw Fail("has no value");
    }

    private static IEnumerable<(string Key, Value Value)> Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new ConfigurationException($"config file not found: {full}");
        string text;
        try { text = File.ReadAllText(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ConfigurationException($"config {full} cannot be read: {e.Message}"); }
        bool json = Path.GetExtension(full).Equals(".json", StringComparison.OrdinalIgnoreCase);
        var entries = json ? FromJson(text, full) : FromYaml(text, full);
        // keys may sit under one top-level "cortexbot:" (as in the launch package's cortexbot.yaml)
        if (entries.Count == 1 && entries[0].Key == "cortexbot" && entries[0].Value is NestedMapping nested) entries = nested.Entries;
        foreach (var (key, value) in entries)
            yield return (key, value is NestedMapping ? new Mapping() : value);
    }

    private sealed record NestedMapping(List<(string Key, Value Value)> Entries) : Value;

    private static List<(string Key, Value Value)> FromJson(string text, string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new ConfigurationException($"config {path} is not valid JSON: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ConfigurationException($"config {path}: the top level must be an object of option values");
            return [.. doc.RootElement.EnumerateObject().Select(p => (p.Name, Json(p.Value)))];
        }

        static Value Json(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Object => new NestedMapping([.. e.EnumerateObject().Select(p => (p.Name, Json(p.Value)))]),
            JsonValueKind.Array => new Sequence([.. e.EnumerateArray().Select(Json)]),
            JsonValueKind.String => new Scalar(e.GetString()!),
            JsonValueKind.True => new Scalar("true"),
            JsonValueKind.False => new Scalar("false"),
            JsonValueKind.Number => new Scalar(e.GetRawText()),
            _ => new Scalar(""),
        };
    }

    private static List<(string Key, Value Value)> FromYaml(string text, string path)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw new ConfigurationException($"config {path} is not valid YAML (line {e.Start.Line}): {e.Message}"); }
        if (stream.Documents.Count == 0) return [];
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ConfigurationException($"config {path}: the top level must be a mapping of option values");
        return Entries(root);

        static List<(string Key, Value Value)> Entries(YamlMappingNode m) =>
            [.. m.Children.Select(c => (((YamlScalarNode)c.Key).Value ?? "", Yaml(c.Value)))];

        static Value Yaml(YamlNode n) => n switch
        {
            YamlMappingNode m => new NestedMapping(Entries(m)),
            YamlSequenceNode s => new Sequence([.. s.Children.Select(Yaml)]),
            YamlScalarNode s => new Scalar(s.Value ?? ""),
            _ => new Scalar(""),
        };
    }

    /// <summary>The process environment as a dictionary.</summary>
    public static IReadOnlyDictionary<string, string> ProcessEnvironment() =>
        Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
}

using CortexBot.Core.Messages;

namespace CortexBot.Core.Instructions;

/// <summary>
/// Noun phrases and their grounding in the scene: "the red cube", "all cubes", "it", "two blocks", a container, resolved
/// to the scene's objects, with a refusal naming what is present when nothing or too much matches.
/// </summary>
public static partial class InstructionReader
{
    /// <summary>A noun phrase: "the red cube", "red and blue blocks", "it", "all cubes", "red_cube".</summary>
    private sealed class Group
    {
        public List<string> Colours { get; } = [];
        public string? Noun { get; set; }
        public bool Plural { get; set; }
        public bool All { get; set; }
        /// <summary>"two cubes": exactly this many.</summary>
        public int? Count { get; set; }
        /// <summary>"several cubes": at least two.</summary>
        public bool Several { get; set; }
        public string? Pronoun { get; set; }
        public SceneObject? Named { get; set; }
        public List<string> Unknown { get; } = [];
        public bool IsEmpty => Colours.Count == 0 && Noun is null && !All && Count is null && !Several && Pronoun is null && Named is null && Unknown.Count == 0;
        public bool Many => All || Plural || Several || Count is > 1;
    }

    private sealed partial class Parser
    {
        private bool IsColour(string w) => KnownColours.Contains(w) || _objects.Any(o => string.Equals(o.Color, w, StringComparison.OrdinalIgnoreCase));

        private static string Singular(string w) =>
            Singulars.TryGetValue(w, out var s) ? s : w.Length > 3 && w.EndsWith('s') && !w.EndsWith("ss", StringComparison.Ordinal) ? w[..^1] : w;

        private bool IsNounWord(string w)
        {
            var s = Singular(w);
            return CubeNouns.Contains(s) || AnyObjectNouns.Contains(s) || ContainerNouns.Contains(s) ||
                   _objects.Any(o => string.Equals(o.Kind, s, StringComparison.OrdinalIgnoreCase));
        }

        private SceneObject? FindByName(string w) =>
            _objects.FirstOrDefault(o => string.Equals(o.Name, w, StringComparison.OrdinalIgnoreCase));

        private List<Group> ParseGroups(List<string> tokens)
        {
            var groups = new List<Group>();
            var g = new Group();
            foreach (var t in tokens)
            {
                if (t is "and" or "," or "plus")
                {
                    if (!g.IsEmpty) groups.Add(g);
                    g = new Group();
                }
                else if (t.Contains('_') && FindByName(t) is { } named) g.Named = named;
                else if (Pronouns.Contains(t)) g.Pronoun = t;
                else if (Numbers.TryGetValue(t, out var n)) g.Count = n;
                else if (Several.Contains(t)) g.Several = true;
                else if (Quantifiers.Contains(t))
                {
                    g.All = true;
                    if (t == "everything") { g.Noun = "everything"; g.Plural = true; }
                }
                else if (IsColour(t)) g.Colours.Add(t);
                else if (IsNounWord(t))
                {
                    g.Noun = Singular(t);
                    g.Plural = g.Plural || Singular(t) != t;
                }
                else if (FindByName(t) is { } plain) g.Named = plain;
                else g.Unknown.Add(t);
            }
            if (!g.IsEmpty) groups.Add(g);

            // "red and blue cubes": the noun of a later group applies to earlier colour-only groups.
            for (int i = groups.Count - 2; i >= 0; i--)
            {
                if (groups[i].Noun is null && groups[i].Named is null && groups[i].Colours.Count > 0 && groups[i + 1].Noun is not null)
                {
                    groups[i].Noun = groups[i + 1].Noun;
                    groups[i].Plural = groups[i + 1].Plural;
                }
            }
            // An unknown word where a noun should be ("the yellow sphere") is taken as the noun, so it is reported as missing.
            foreach (var group in groups)
            {
                if (group.Noun is null && group.Named is null && group.Unknown.Count > 0) group.Noun = Singular(group.Unknown[^1]);
            }
            return groups;
        }

        private static bool KindMatches(SceneObject o, string? noun) =>
            noun is null || AnyObjectNouns.Contains(noun) ||
            (CubeNouns.Contains(noun) ? o.Kind == "cube" : string.Equals(o.Kind, noun, StringComparison.OrdinalIgnoreCase));

        private static bool ColourMatches(SceneObject o, string colour) =>
            string.Equals(o.Color, colour, StringComparison.OrdinalIgnoreCase) ||
            (colour is "grey" or "gray" && o.Color is { } c && (c.Equals("grey", StringComparison.OrdinalIgnoreCase) || c.Equals("gray", StringComparison.OrdinalIgnoreCase)));

        private static string NounText(string? noun, bool plural)
        {
            var n = noun is null or "everything" or "one" ? "object" : noun;
            return plural ? (n.EndsWith('x') ? n + "es" : n + "s") : n;
        }

        /// <summary>The objects to pick and move (<paramref name="verb"/> words the refusals; <paramref name="distinct"/>: an object named twice counts once).</summary>
        private List<SceneObject> ResolveObjects(List<string> phrase, string verb = "pick up", bool distinct = true)
        {
            var groups = ParseGroups(phrase);
            if (groups.Count == 0) throw new RefusalException($"which object? present: {Names(Graspables)}");

            var result = new List<SceneObject>();
            foreach (var g in groups)
            {
                if (g.Named is { } named)
                {
                    if (named.IsContainer) throw new RefusalException($"I can't {verb} {named.Name}: it is a container");
                    result.Add(named);
                    continue;
                }
                if (g.Pronoun is { } pronoun && g.Noun is null && g.Colours.Count == 0)
                {
                    if (_held is not null) result.Add(_held);
                    else if (_lastMentioned.Count > 0) result.AddRange(_lastMentioned);
                    else throw new RefusalException($"I don't know what '{pronoun}' refers to; name the object, e.g. 'the red cube'; present: {Names(Graspables)}");
                    continue;
                }
                if (g.Noun is { } noun && ContainerNouns.Contains(noun) && !CubeNouns.Contains(noun))
                    throw new RefusalException($"I can't {verb} a {noun}: it is a container");
                if (g.Noun is not null && !KindMatches(Graspables, g.Noun) && FindContainerKind(g.Noun) is not null)
                    throw new RefusalException($"I can't {verb} a {g.Noun}: it is a container");

                var matched = Match(g, Graspables.ToList(), many: g.Many, present: $"present: {Names(Graspables)}");
                var what = g.Colours.Count == 0 ? NounText(g.Noun, true) : $"{string.Join(" and ", g.Colours)} {NounText(g.Noun, true)}";
                if (g.Count is { } count)
                {
                    if (matched.Count < count) throw new RefusalException($"there are only {matched.Count} {what}, not {count}; present: {Names(Graspables)}");
                    matched = matched.Take(count).ToList();
                }
                else if (g.Several && matched.Count < 2)
                    throw new RefusalException($"there is only one {(g.Colours.Count == 0 ? NounText(g.Noun, false) : $"{string.Join(' ', g.Colours)} {NounText(g.Noun, false)}")}: {Names(matched)}");
                result.AddRange(matched);
            }

            var objects = distinct ? result.DistinctBy(o => o.Name, StringComparer.OrdinalIgnoreCase).ToList() : result;
            _lastMentioned = objects.DistinctBy(o => o.Name, StringComparer.OrdinalIgnoreCase).ToList();
            return objects;
        }

        private static bool KindMatches(IEnumerable<SceneObject> pool, string noun) => pool.Any(o => KindMatches(o, noun));

        private SceneObject? FindContainerKind(string noun) =>
            Containers.FirstOrDefault(o => string.Equals(o.Kind, noun, StringComparison.OrdinalIgnoreCase));

        /// <summary>Objects of <paramref name="pool"/> matching a noun phrase; refuses when none, or several where one was meant.</summary>
        private static List<SceneObject> Match(Group g, List<SceneObject> pool, bool many, string present)
        {
            var ofKind = pool.Where(o => KindMatches(o, g.Noun)).ToList();
            var found = new List<SceneObject>();
            var colours = g.Colours.Count > 0 ? g.Colours.Cast<string?>().ToList() : [null];
            foreach (var colour in colours)
            {
                var matches = colour is null ? ofKind : ofKind.Where(o => ColourMatches(o, colour)).ToList();
                var what = colour is null ? NounText(g.Noun, false) : $"{colour} {NounText(g.Noun, false)}";
                if (matches.Count == 0)
                {
                    throw new RefusalException(many && colour is null
                        ? $"there are no {NounText(g.Noun, true)} in the scene; {present}"
                        : $"there is no {what} in the scene; {present}");
                }
                if (matches.Count > 1 && !many)
                    throw new RefusalException($"which {what}? present: {Names(matches)}");
                found.AddRange(matches);
            }
            return found;
        }

        /// <summary>The destination: must be a container.</summary>
        private SceneObject ResolveContainer(List<string> phrase)
        {
            var containers = Containers.ToList();
            var into = containers.Count == 0 ? "there are no containers in the scene" : $"I can only put things into: {Names(containers)}";
            var groups = ParseGroups(phrase);
            if (groups.Count == 0) throw new RefusalException($"put it where? {into}");
            if (groups.Count > 1)
                throw new RefusalException($"I don't understand the destination '{string.Join(' ', phrase)}'; name one container: {Names(containers)}");
            var g = groups[0];

            SceneObject target;
            if (g.Named is { } named) target = named;
            else if (g.Pronoun is { } pronoun && g.Noun is null && g.Colours.Count == 0)
                throw new RefusalException($"I don't know what '{pronoun}' refers to; {into}");
            else if (g.Colours.Count == 0 && g.Noun is { } exact && FindByName(exact) is { } byName) target = byName;
            else if (g.Noun is { } noun && IsContainerNoun(g, noun))
            {
                if (g.All || g.Plural) throw new RefusalException($"I can only put things into one container at a time; {into}");
                var matches = containers.Where(o => g.Colours.Count == 0 || g.Colours.Any(c => ColourMatches(o, c))).ToList();
                var what = g.Colours.Count == 0 ? noun : $"{string.Join(' ', g.Colours)} {noun}";
                if (matches.Count == 0) throw new RefusalException($"there is no {what} in the scene; {into}");
                if (matches.Count > 1) throw new RefusalException($"which {what}? containers: {Names(matches)}");
                target = matches[0];
            }
            else
            {
                var single = new Group { Noun = g.Noun };
                single.Colours.AddRange(g.Colours);
                target = Match(single, _objects, many: false, present: into)[0];
            }

            if (!target.IsContainer) throw new RefusalException($"{target.Name} is not a container; {into}");
            return target;
        }

        /// <summary>"bin", "container", "basket"... ; "box" too unless a colour makes it a cube ("the blue box" with a blue cube and no blue container).</summary>
        private bool IsContainerNoun(Group g, string noun)
        {
            if (FindContainerKind(noun) is not null) return true;
            if (!ContainerNouns.Contains(noun)) return false;
            if (noun != "box" || g.Colours.Count == 0) return true;
            bool containerHasColour = Containers.Any(o => g.Colours.Any(c => ColourMatches(o, c)));
            bool cubeHasColour = Graspables.Any(o => o.Kind == "cube" && g.Colours.Any(c => ColourMatches(o, c)));
            return containerHasColour || !cubeHasColour;
        }

        /// <summary>Anything in the scene, for "move above X".</summary>
        private SceneObject ResolveAny(List<string> phrase)
        {
            var groups = ParseGroups(phrase);
            if (groups.Count != 1) throw new RefusalException($"I can only move above one thing at a time; present: {Names(_objects)}");
            var g = groups[0];
            if (g.Named is { } named) return named;
            if (g.Pronoun is { } pronoun && g.Noun is null && g.Colours.Count == 0)
            {
                if (_lastMentioned.Count == 1) return _lastMentioned[0];
                throw new RefusalException($"I don't know what '{pronoun}' refers to; present: {Names(_objects)}");
            }
            if (g.Colours.Count == 0 && g.Noun is { } exact && FindByName(exact) is { } byName) return byName;
            if (g.Noun is { } noun && IsContainerNoun(g, noun))
            {
                var matches = Containers.Where(o => g.Colours.Count == 0 || g.Colours.Any(c => ColourMatches(o, c))).ToList();
                if (matches.Count == 1) return matches[0];
                throw new RefusalException(matches.Count == 0
                    ? $"there is no {noun} in the scene; present: {Names(_objects)}"
                    : $"which {noun}? present: {Names(matches)}");
            }
            var one = new Group { Noun = g.Noun };
            one.Colours.AddRange(g.Colours);
            var found = Match(one, Graspables.ToList(), many: false, present: $"present: {Names(_objects)}")[0];
            _lastMentioned = [found];
            return found;
        }

        private static bool SameObject(SceneObject a, SceneObject b) => string.Equals(a.Name, b.Name, StringComparison.OrdinalIgnoreCase);

        private static string Describe(SceneObject o) =>
            o.Color is null ? o.Kind : $"{o.Color} {o.Kind}";

        private static string Names(IEnumerable<SceneObject> objects)
        {
            var names = objects.Select(o => o.Name).ToList();
            return names.Count == 0 ? "nothing" : string.Join(", ", names);
        }
    }
}

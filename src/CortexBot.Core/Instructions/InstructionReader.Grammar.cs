using System.Text;
using CortexBot.Core.Goals;
using CortexBot.Core.Messages;

namespace CortexBot.Core.Instructions;

/// <summary>
/// The task language's grammar: tokens, clauses split at "and"/"then", and each clause read as a gripper command, a
/// transfer, a pick, a move or a stack/tower/sort/clear clause, with its destination checked.
/// </summary>
public static partial class InstructionReader
{
    private sealed partial class Parser
    {
        private List<string> Tokenize(string s)
        {
            var sb = new StringBuilder(s.Length + 8);
            foreach (var ch in s.ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(ch) || ch == '_') sb.Append(ch);
                else if (ch is '\'' or '\u2019') continue; // "let's" -> "lets", "i'd" -> "id"
                else if (ch is ',' or ';' or '.' or ':' or '!' or '?') sb.Append(" , ");
                else sb.Append(' ');
            }

            var raw = new List<string>();
            foreach (var word in sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                // "red_cube" is a scene name; an unknown "yellow_cube" is read as "yellow cube".
                if (word.Contains('_') && FindByName(word) is null)
                    raw.AddRange(word.Split('_', StringSplitOptions.RemoveEmptyEntries));
                else raw.Add(word);
            }

            var tokens = new List<string>(raw.Count);
            for (int i = 0; i < raw.Count; i++)
            {
                string Next(int k) => i + k < raw.Count ? raw[i + k] : "";
                if (raw[i] == "on" && Next(1) == "top" && Next(2) == "of") { tokens.Add("onto"); i += 2; }
                else if (raw[i] == "in" && Next(1) == "to") { tokens.Add("into"); i += 1; }
                else if (raw[i] == "inside" && Next(1) == "of") { tokens.Add("into"); i += 1; }
                else if (raw[i] == "let" && Next(1) == "go") { tokens.Add("release"); i += 1; if (Next(1) == "of") i += 1; }
                else if (!Fillers.Contains(raw[i])) tokens.Add(raw[i]);
            }
            return tokens;
        }

        private static bool IsVerb(string w) =>
            TransferVerbs.Contains(w) || PickVerbs.Contains(w) || GoVerbs.Contains(w) || GripperVerbs.Contains(w) ||
            StackVerbs.Contains(w) || BuildVerbs.Contains(w) || SortVerbs.Contains(w) || ClearVerbs.Contains(w);

        /// <summary>Splits at "and" / "then" / "," when a new verb follows ("pick up X and drop it in Y"); keeps lists ("red and blue cubes").</summary>
        private static List<List<string>> SplitClauses(List<string> tokens)
        {
            var clauses = new List<List<string>>();
            var current = new List<string>();
            for (int i = 0; i < tokens.Count; i++)
            {
                var t = tokens[i];
                if (Separators.Contains(t))
                {
                    int j = i;
                    while (j < tokens.Count && (Separators.Contains(tokens[j]) || Prefixes.Contains(tokens[j]))) j++;
                    bool newClause = j >= tokens.Count || IsVerb(tokens[j]) || tokens[j] == "home";
                    if (newClause)
                    {
                        if (current.Count > 0) clauses.Add(current);
                        current = [];
                        i = j - 1;
                        continue;
                    }
                    if (t != "then") current.Add(t);
                    continue;
                }
                current.Add(t);
            }
            if (current.Count > 0) clauses.Add(current);
            return clauses;
        }

        // ---- clauses

        private void ParseClause(List<string> clause)
        {
            int start = 0;
            while (start < clause.Count && Prefixes.Contains(clause[start])) start++;
            var tokens = clause.Skip(start).Where(t => t != ",").ToList();
            if (tokens.Count == 0) return;

            if (tokens.Contains("home") && tokens.All(t => HomeWords.Contains(t) || Particles.Contains(t)))
            {
                _steps.Add(SkillInvocation.Of(SkillNames.MoveHome));
                return;
            }

            var verb = tokens[0];
            var rest = tokens.Skip(1).Where(t => !Particles.Contains(t)).ToList();

            if (GripperVerbs.Contains(verb)) { Gripper(verb, rest); return; }
            if (StackVerbs.Contains(verb)) { StackClause(verb, rest); return; }
            if (BuildVerbs.Contains(verb)) { Build(verb, rest); return; }
            if (SortVerbs.Contains(verb)) { Sort(verb, rest); return; }
            if (ClearVerbs.Contains(verb)) { Clear(verb, rest); return; }
            if (TransferVerbs.Contains(verb) || PickVerbs.Contains(verb) || GoVerbs.Contains(verb)) { Action(verb, rest); return; }

            if (IsVocabulary(verb))
            {
                // No verb, e.g. "red cube in bin": read as "put".
                if (tokens.Any(TargetPrepositions.Contains)) { Action("put", tokens.Where(t => !Particles.Contains(t)).ToList()); return; }
                throw new RefusalException($"what should I do with '{string.Join(' ', tokens)}'? e.g. 'put the red cube in the bin'; {Abilities}");
            }
            throw new RefusalException($"I don't know how to '{verb}'; {Abilities}");
        }

        private bool IsVocabulary(string w) =>
            IsColour(w) || IsNounWord(w) || Pronouns.Contains(w) || Quantifiers.Contains(w) || TargetPrepositions.Contains(w) || FindByName(w) is not null;

        private void Gripper(string verb, List<string> rest)
        {
            var extra = rest.Where(t => !GripperNouns.Contains(t)).ToList();
            if (extra.Count > 0)
                throw new RefusalException($"I can only {verb} the gripper, not '{string.Join(' ', extra)}'");
            if (verb == "open")
            {
                _steps.Add(SkillInvocation.Of(SkillNames.OpenGripper));
                _held = null;
                _goal.RemoveAll(r => r is Relation.Lifted); // let go: nothing stays lifted
            }
            else _steps.Add(SkillInvocation.Of(SkillNames.CloseGripper));
        }

        private void Action(string verb, List<string> rest)
        {
            int prep = rest.FindIndex(TargetPrepositions.Contains);
            var objectPhrase = prep < 0 ? rest : rest[..prep];
            var targetPhrase = prep < 0 ? null : rest[(prep + 1)..];

            // "release it" / "drop the gripper" / "release": just let go.
            if (LetGoVerbs.Contains(verb) && targetPhrase is null && objectPhrase.All(t => GripperNouns.Contains(t) || Pronouns.Contains(t)))
            {
                LetGo(verb);
                return;
            }

            if (GoVerbs.Contains(verb) || (verb == "move" && objectPhrase.Count == 0))
            {
                // "go to the bin", "move above the red cube", "hover over the green block", "approach the blue cube".
                if (objectPhrase.Count > 0 && targetPhrase is not null)
                    throw new RefusalException($"I can only {verb} to one place; to move an object say e.g. 'put the red cube in the bin'");
                var where = targetPhrase ?? objectPhrase;
                if (where.Count == 0) throw new RefusalException($"{verb} where? present: {Names(_objects)}");
                var target = ResolveAny(where);
                _steps.Add(SkillInvocation.Of(SkillNames.MoveAbove, target.Name));
                return;
            }

            if (objectPhrase.Count == 0)
                throw new RefusalException(targetPhrase is null
                    ? $"what should I {verb}? present: {Names(Graspables)}"
                    : $"what should I {verb} there? present: {Names(Graspables)}");

            if (targetPhrase is not null) CheckDestination(verb, rest[prep], targetPhrase, objectPhrase);
            var objects = ResolveObjects(objectPhrase);

            if (targetPhrase is null)
            {
                if (PickVerbs.Contains(verb))
                {
                    if (objects.Count > 1)
                        throw new RefusalException($"I can only hold one object at a time; say where to put them, e.g. 'put the {Describe(objects[0])} in the bin'");
                    Pick(objects[0]);
                    return;
                }
                if (LetGoVerbs.Contains(verb) && _held is not null && objects.Count == 1 && SameObject(objects[0], _held))
                {
                    LetGo(verb);
                    return;
                }
                var container = Containers.FirstOrDefault()?.Name ?? "bin";
                throw new RefusalException($"where should I {verb} {Names(objects)}? e.g. '{verb} the {Describe(objects[0])} into the {container}'");
            }

            // "on the blue cube": stand it on that object; "on the bin" still means into the bin.
            if (OnPrepositions.Contains(rest[prep]) && ResolveBase(targetPhrase) is { } baseObject)
            {
                if (objects.Count > 1)
                    throw new RefusalException($"I can only stand one object on {baseObject.Name}; to stack several say e.g. 'build a tower of the {Describe(baseObject)}, {string.Join(", ", objects.Select(Describe))}'");
                Stack(objects[0], baseObject);
                return;
            }
            var destination = ResolveContainer(targetPhrase);
            foreach (var o in TopsFirst(objects)) Transfer(o, destination);
        }

        /// <summary>
        /// Refuses, before the objects are resolved, a destination that cannot be: two places at once ("in the bin and on
        /// the blue cube"), the object itself, or something that is not a container after "in".
        /// </summary>
        private void CheckDestination(string verb, string preposition, List<string> target, List<string> objectPhrase)
        {
            var objectsText = objectPhrase.Count == 0 ? "it" : string.Join(' ', objectPhrase.Where(t => !Pronouns.Contains(t) || objectPhrase.Count == 1));
            // "in the bin and on the blue cube": one object, two final places.
            int second = -1;
            for (int i = 1; i < target.Count; i++)
                if (target[i - 1] is "and" or "," && TargetPrepositions.Contains(target[i])) { second = i; break; }
            if (second > 0)
            {
                var first = string.Join(' ', target[..(second - 1)]);
                var other = string.Join(' ', target[(second + 1)..]);
                throw new RefusalException($"that contradicts itself: the {objectsText} cannot end both {preposition} the {first} and {target[second]} the {other}; ask for one place");
            }
            if (target.Count == 1 && target[0] is "itself" or "themselves")
                throw new RefusalException($"I can't {verb} the {objectsText} {preposition} itself");
            if (!IntoPrepositions.Contains(preposition)) return;
            var groups = ParseGroups(target);
            if (groups.Count != 1 || groups[0] is not { Named: null, Noun: { } noun } g || IsContainerNoun(g, noun) || FindByName(noun) is not null) return;
            if (!CubeNouns.Contains(noun) && !AnyObjectNouns.Contains(noun) && !_objects.Any(o => !o.IsContainer && KindMatches(o, noun))) return;
            var containers = Containers.ToList();
            var into = containers.Count == 0 ? "there are no containers in the scene" : $"I can only put things into: {Names(containers)}";
            var matches = Graspables.Where(o => KindMatches(o, noun) && (g.Colours.Count == 0 || g.Colours.Any(c => ColourMatches(o, c)))).ToList();
            throw new RefusalException(matches.Count == 1 ? $"{matches[0].Name} is not a container; {into}" : $"a {noun} is not a container; {into}");
        }

        /// <summary>The object a phrase after "on" names when it is one graspable object (to stand another on); null for a container or no match.</summary>
        private SceneObject? ResolveBase(List<string> phrase)
        {
            var groups = ParseGroups(phrase);
            if (groups.Count != 1) return null;
            var g = groups[0];
            if (g.Named is { } named) return named.IsContainer ? null : named;
            if (g.Noun is { } noun && (IsContainerNoun(g, noun) || FindByName(noun) is { IsContainer: true })) return null;
            if (g.Colours.Count == 0 && g.Noun is { } exact && FindByName(exact) is { } byName) return byName.IsContainer ? null : byName;
            var candidates = Graspables.Where(o => KindMatches(o, g.Noun) && (g.Colours.Count == 0 || g.Colours.Any(c => ColourMatches(o, c)))).ToList();
            if (candidates.Count == 0) return null;
            if (g.Noun is null && g.Colours.Count == 0) return null;
            if (candidates.Count > 1) throw new RefusalException($"on which {NounText(g.Noun, false)}? present: {Names(candidates)}");
            return candidates[0];
        }
    }
}

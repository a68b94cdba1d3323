using CortexBot.Core.Goals;
using CortexBot.Core.Messages;

namespace CortexBot.Core.Instructions;

/// <summary>
/// From a read clause to skill steps and the goal relations they must leave: stacking, towers (bottom first), sorting
/// by colour, clearing the table, picking, letting go and transfers.
/// </summary>
public static partial class InstructionReader
{
    private sealed partial class Parser
    {
        /// <summary>"stack A on B"; "stack A, B and C" (no base) is a tower, A at the bottom.</summary>
        private void StackClause(string verb, List<string> rest)
        {
            int prep = rest.FindIndex(TargetPrepositions.Contains);
            var objectPhrase = prep < 0 ? rest : rest[..prep];
            var targetPhrase = prep < 0 ? null : rest[(prep + 1)..];
            if (objectPhrase.Count == 0) throw new RefusalException($"what should I {verb}? present: {Names(Graspables)}");
            if (targetPhrase is null)
            {
                var tower = ResolveObjects(objectPhrase, verb, distinct: false);
                if (tower.Count < 2)
                    throw new RefusalException($"{verb} {tower[0].Name} on what? e.g. '{verb} the {Describe(tower[0])} on the {Graspables.Where(o => !SameObject(o, tower[0])).Select(Describe).FirstOrDefault() ?? "other cube"}'");
                Tower(tower);
                return;
            }
            CheckDestination(verb, rest[prep], targetPhrase, objectPhrase);
            var objects = ResolveObjects(objectPhrase, verb);
            if (ResolveBase(targetPhrase) is not { } baseObject)
            {
                var groups = ParseGroups(targetPhrase);
                var container = groups.Count == 1 ? (groups[0].Named ?? (groups[0].Noun is { } n ? FindByName(n) ?? Containers.FirstOrDefault(c => IsContainerNoun(groups[0], n)) : null)) : null;
                if (container is { IsContainer: true })
                    throw new RefusalException($"I can't {verb} anything on {container.Name}: it is a container; say e.g. 'put the {Describe(objects[0])} in the {container.Name}'");
                var single = new Group { Noun = groups.Count == 1 ? groups[0].Noun : null };
                if (groups.Count == 1) single.Colours.AddRange(groups[0].Colours);
                throw new RefusalException(groups.Count != 1
                    ? $"I can only {verb} onto one object; present: {Names(Graspables)}"
                    : $"there is no {(single.Colours.Count == 0 ? NounText(single.Noun, false) : $"{string.Join(' ', single.Colours)} {NounText(single.Noun, false)}")} to {verb} on; present: {Names(Graspables)}");
            }
            if (objects.Count > 1)
                throw new RefusalException($"I can only {verb} one object on {baseObject.Name}; to stack several say e.g. 'build a tower of the {Describe(baseObject)}, {string.Join(", ", objects.Select(Describe))}'");
            Stack(objects[0], baseObject);
        }

        /// <summary>"build a tower of A, B and C": A at the bottom, B on A, C on B.</summary>
        private void Build(string verb, List<string> rest)
        {
            if (rest.Count == 0 || !TowerNouns.Contains(Singular(rest[0])))
                throw new RefusalException($"I can only {verb} a tower, e.g. '{verb} a tower of the red, green and blue cubes'; {Abilities}");
            var phrase = rest.Skip(1).SkipWhile(t => t is "with" or "from" or "using" or "out").ToList();
            if (phrase.Count == 0) throw new RefusalException($"a tower of what? present: {Names(Graspables)}");
            var tower = ResolveObjects(phrase, "stack", distinct: false);
            if (tower.Count < 2) throw new RefusalException($"a tower needs at least two objects; present: {Names(Graspables)}");
            Tower(tower);
        }

        private void Tower(List<SceneObject> tower)
        {
            var twice = tower.GroupBy(o => o.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (twice is not null) throw new RefusalException($"a tower uses each object once, but {twice.Key} is named twice");
            for (int i = 1; i < tower.Count; i++) Stack(tower[i], tower[i - 1]);
        }

        /// <summary>Picks <paramref name="o"/> (unless held) and stands it on <paramref name="baseObject"/>.</summary>
        private void Stack(SceneObject o, SceneObject baseObject)
        {
            if (SameObject(o, baseObject)) throw new RefusalException($"I can't stack {o.Name} on itself");
            if (baseObject.IsContainer) throw new RefusalException($"I can't stack anything on {baseObject.Name}: it is a container");
            if (_goal.OfType<Relation.On>().FirstOrDefault(r => SameName(r.Object, baseObject.Name) && SameName(r.Base, o.Name)) is { } cycle)
                throw new RefusalException($"that contradicts itself: {baseObject.Name} is to stand on {o.Name}, so {o.Name} cannot stand on {baseObject.Name}");
            if (_goal.OfType<Relation.On>().FirstOrDefault(r => SameName(r.Base, baseObject.Name) && !SameName(r.Object, o.Name)) is { } taken)
                throw new RefusalException($"only one object fits on {baseObject.Name}, and {taken.Object} is to stand there");
            if (_held is null || !SameObject(_held, o)) Pick(o);
            _steps.Add(SkillInvocation.Of(SkillNames.Stack, o.Name, baseObject.Name));
            _held = null;
            Ends(o, new Relation.On(o.Name, baseObject.Name));
        }

        /// <summary>"sort the cubes by colour into the matching bins": each into the one container of its colour.</summary>
        private void Sort(string verb, List<string> rest)
        {
            int end = rest.FindIndex(t => SortWords.Contains(t) && t is not ("coloured" or "colored"));
            var objectPhrase = end < 0 ? rest : rest[..end];
            var objects = objectPhrase.Count == 0 ? Graspables.ToList() : ResolveObjects(objectPhrase, verb);
            var containers = Containers.ToList();
            if (containers.Count == 0) throw new RefusalException($"there are no containers to {verb} into");
            if (objects.Count == 0) throw new RefusalException($"there is nothing to {verb}; present: {Names(_objects)}");
            string Bins() => string.Join(", ", containers.Select(c => c.Color is null ? $"{c.Name} (no colour)" : $"{c.Name} ({c.Color})"));
            var moves = new List<(SceneObject Object, SceneObject Container)>();
            foreach (var o in objects)
            {
                if (o.Color is null) throw new RefusalException($"I can't {verb} {o.Name} by colour: it has no colour; containers: {Bins()}");
                var matching = containers.Where(c => c.Color is not null && ColourMatches(c, o.Color)).ToList();
                if (matching.Count == 0) throw new RefusalException($"no container matches {o.Name}'s colour ({o.Color}); containers: {Bins()}");
                if (matching.Count > 1) throw new RefusalException($"several containers are {o.Color} ({Names(matching)}); I don't know which one {o.Name} goes into");
                moves.Add((o, matching[0]));
            }
            foreach (var o in TopsFirst(moves.Select(m => m.Object).ToList()))
            {
                var c = moves.First(m => SameObject(m.Object, o)).Container;
                if (_scene.IsInside(o.Name, c.Name) && !SameObject(_held ?? c, o)) { Ends(o, new Relation.In(o.Name, c.Name)); continue; } // already sorted
                Transfer(o, c);
            }
        }

        /// <summary>"clear the table into the bin": every object not already in a container goes into it.</summary>
        private void Clear(string verb, List<string> rest)
        {
            int prep = rest.FindIndex(TargetPrepositions.Contains);
            var what = prep < 0 ? rest : rest[..prep];
            if (what.Count == 0 || !what.All(t => TableNouns.Contains(t) || t is "up" or "off"))
                throw new RefusalException($"I can only {verb} the table, e.g. '{verb} the table into the {Containers.FirstOrDefault()?.Name ?? "bin"}'");
            var containers = Containers.ToList();
            SceneObject destination;
            if (prep >= 0) destination = ResolveContainer(rest[(prep + 1)..]);
            else if (containers.Count == 1) destination = containers[0];
            else throw new RefusalException(containers.Count == 0 ? "there are no containers to clear the table into" : $"into which container? containers: {Names(containers)}");
            var loose = Graspables.Where(o => !containers.Any(c => _scene.IsInside(o.Name, c.Name))).ToList();
            if (loose.Count == 0) throw new RefusalException($"the table is already clear; every object is in a container");
            foreach (var o in TopsFirst(loose)) Transfer(o, destination);
        }

        /// <summary>Orders objects so that one resting on another is moved before it (its base is not clear until then).</summary>
        private static List<SceneObject> TopsFirst(List<SceneObject> objects)
        {
            var left = new List<SceneObject>(objects);
            var ordered = new List<SceneObject>(objects.Count);
            while (left.Count > 0)
            {
                var next = left.FirstOrDefault(b => !left.Any(t => !ReferenceEquals(t, b) && Relation.IsOn(t, b))) ?? left[0];
                ordered.Add(next);
                left.Remove(next);
            }
            return ordered;
        }

        /// <summary>
        /// Records that <paramref name="o"/> must end as <paramref name="relation"/> says: it replaces "lifted" (pick, then put),
        /// and two different places for one object are a contradiction.
        /// </summary>
        private void Ends(SceneObject o, Relation relation)
        {
            var earlier = _goal.FirstOrDefault(r => r is not Relation.Lifted && SameName(r.Objects[0], o.Name));
            if (earlier is not null && earlier != relation)
                throw new RefusalException($"that contradicts itself: {o.Name} cannot end both {Where(earlier)} and {Where(relation)}");
            _goal.RemoveAll(r => SameName(r.Objects[0], o.Name));
            _goal.Add(relation);
        }

        private static string Where(Relation r) => r switch
        {
            Relation.In i => $"in {i.Container}",
            Relation.On on => $"on {on.Base}",
            _ => r.ToString(),
        };

        private static bool SameName(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

        private void LetGo(string verb)
        {
            // At the start of an instruction the arm may hold something from before; later we know it is empty-handed.
            if (_held is null && _steps.Count > 0)
                throw new RefusalException($"I'm not holding anything to {verb}");
            _steps.Add(SkillInvocation.Of(SkillNames.OpenGripper));
            _held = null;
            _goal.RemoveAll(r => r is Relation.Lifted);
        }

        private void Pick(SceneObject o)
        {
            if (_held is not null)
            {
                if (SameObject(_held, o)) return;
                throw new RefusalException($"I'm already holding {_held.Name} and can only hold one object at a time");
            }
            _steps.Add(SkillInvocation.Of(SkillNames.Pick, o.Name));
            _held = o;
            // the last word about each object counts: picking it up again asks for it lifted
            _goal.RemoveAll(r => SameName(r.Objects[0], o.Name));
            _goal.Add(new Relation.Lifted(o.Name));
        }

        private void Transfer(SceneObject o, SceneObject container)
        {
            if (SameObject(o, container)) throw new RefusalException($"I can't put {o.Name} into itself");
            var goal = new Relation.In(o.Name, container.Name);
            if (LearnedTransfer && _held is null && AvoidLearned?.Invoke(o.Name) != true)
            {
                _steps.Add(SkillInvocation.Of(SkillNames.LearnedPickPlace, o.Name, container.Name));
                Ends(o, goal);
                return;
            }
            if (_held is null || !SameObject(_held, o)) Pick(o);
            _steps.Add(SkillInvocation.Of(SkillNames.Place, o.Name, container.Name));
            _held = null;
            Ends(o, goal);
        }
    }
}

using System.Collections.Immutable;
using CortexBot.Core.Safety;

namespace CortexBot.Core.Messages;

/// <summary>Ask the hippocampus to remember a safety review (keyed by its case); answered with <see cref="SafetyFactRemembered"/>.</summary>
public sealed record RememberSafetyFact(SafetyFact Fact);

/// <summary>The review is stored (<paramref name="Stored"/> false: the store failed or keeps no facts, <paramref name="Error"/> says why).</summary>
public sealed record SafetyFactRemembered(string CaseKey, bool Stored, string? Error = null);

/// <summary>Ask the hippocampus for the remembered safety reviews (the <paramref name="Limit"/> latest); answered with <see cref="SafetyFactsRecalled"/>.</summary>
public sealed record RecallSafetyFacts(int Limit = RecallSafetyFacts.DefaultLimit)
{
    public const int DefaultLimit = 1000;
}

public sealed record SafetyFactsRecalled(ImmutableArray<SafetyFact> Facts);

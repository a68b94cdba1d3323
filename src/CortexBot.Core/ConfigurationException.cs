namespace CortexBot.Core;

/// <summary>Bad configuration or input given by a user: reported as one clear line, exit code 2.</summary>
public sealed class ConfigurationException(string message) : Exception(message);

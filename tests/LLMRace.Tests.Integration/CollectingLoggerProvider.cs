using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LLMRace.Tests.Integration;

/// <summary>Keeps every log line an in-process Api writes: message, structured values, scopes and exception.</summary>
public sealed class CollectingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(string category, CollectingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?,
            string> formatter)
        {
            var line = new System.Text.StringBuilder($"{logLevel} {category}: {formatter(state, exception)}");
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
                foreach (var (key, value) in values) line.Append($" [{key}={value}]");
            provider._scopes.ForEachScope((scope, text) => text.Append($" => {scope}"), line);
            if (exception is not null) line.Append(' ').Append(exception);
            provider.Lines.Enqueue(line.ToString());
        }
    }

    private ConcurrentQueue<string> Lines => lines;
}

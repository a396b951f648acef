// Test classes run side by side: no test bounds a measured time (figures live in bench/), so a busy machine slows
// them without failing them. Much of the time is spent waiting on other processes (the AppHost, Apis started and
// killed, a dotnet publish, Chromium), so more classes run at once than there are cores.
[assembly: CollectionBehavior(MaxParallelThreads = 4)]
[assembly: TestCollectionOrderer("LLMRace.Tests.Integration.LongestFirst", "LLMRace.Tests.Integration")]

namespace LLMRace.Tests.Integration
{
    internal static class TestHostThreads
    {
        /// <summary>
        /// This process hosts several Apis at once (each with its silo, some burning a regex budget on purpose) beside the
        /// tests' own clients: with the thread pool's usual floor (one thread a core, more added slowly) one app's busy
        /// threads would hold up another's continuations, so the floor is raised for the test host only.
        /// </summary>
        [System.Runtime.CompilerServices.ModuleInitializer]
        internal static void RaiseFloor() => ThreadPool.SetMinThreads(64, 64);
    }
}

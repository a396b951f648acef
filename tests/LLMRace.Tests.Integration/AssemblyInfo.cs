// Test classes run side by side: no test bounds a measured time (figures live in bench/), so a busy machine slows
// them without failing them. Much of the time is spent waiting on other processes (the AppHost, Apis started and
// killed, a dotnet publish, Chromium), so more classes run at once than there are cores.
[assembly: CollectionBehavior(MaxParallelThreads = 6)]
[assembly: TestCollectionOrderer("LLMRace.Tests.Integration.LongestFirst", "LLMRace.Tests.Integration")]

// Each collection starts a whole AppHost; run them one after another so timing assertions are not
// measured on a machine busy with another app's start-up.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

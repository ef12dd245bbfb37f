using System.Collections.Frozen;
using Firely.Fhir.Validation;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Snapshot;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;
using Hl7.FhirPath.Expressions;
using Canonical = Firely.Fhir.Validation.Canonical;

namespace Hub.Api.Conformance;

/// <summary>
/// Checks resources against the CLA profiles in fhir-profiles/ and, for types without one, against the
/// FHIR R4 core definitions, entirely offline. Build one per process: the first validation loads the
/// specification (seconds); later ones take well under a millisecond. Safe for concurrent use.
/// </summary>
public sealed class ProfileValidator
{
    private readonly DirectorySource _local;
    private readonly IReadOnlyList<StructureDefinition> _localDefinitions;
    private readonly FrozenDictionary<string, string> _localProfileTypes; // canonical → constrained type
    private readonly Lazy<Engine> _engine;

    public ProfileValidator(string profilesFolder)
    {
        if (!Directory.Exists(profilesFolder))
            throw new DirectoryNotFoundException($"FHIR profiles folder not found: {profilesFolder}");

        _local = new DirectorySource(profilesFolder, new DirectorySourceSettings
        {
            IncludeSubDirectories = false,
            Excludes = ["package.json"], // the NPM manifest is not a FHIR resource
        });

        _localDefinitions = _local.ListSummaries()
            .Where(s => s.ResourceTypeName == nameof(StructureDefinition))
            .Select(_local.LoadBySummary)
            .OfType<StructureDefinition>()
            .Where(sd => sd.Url is not null && sd.Type is not null)
            .ToList();
        _localProfileTypes = _localDefinitions.ToFrozenDictionary(sd => sd.Url!, sd => sd.Type!);

        ProfileFor = ProfileRules.DefaultFor
            .Where(kv => _localProfileTypes.ContainsKey(kv.Value))
            .ToFrozenDictionary(kv => kv.Key, kv => kv.Value);

        _engine = new Lazy<Engine>(BuildEngine, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The CLA profile a resource is held to when it declares none: by its type, or by the codes it carries.</summary>
    public string? ProfileOf(Resource resource) =>
        ProfileRules.For(resource) is { } p && _localProfileTypes.ContainsKey(p) ? p : null;

    /// <summary>Resource type → canonical of the CLA profile that every resource of that type is held to.</summary>
    public IReadOnlyDictionary<string, string> ProfileFor { get; }

    /// <summary>
    /// Validates against the CLA profile for the resource's type (the R4 core definition when there is none)
    /// and against every profile in meta.profile that the hub knows; a profile it does not know is reported as
    /// information and not checked. Resources in a Bundle or contained are held to the same rules.
    /// </summary>
    // Firely's binding checks block on the terminology service (sync over async, through the thread pool). If every pool
    // thread were inside Validate at once, none would be left to answer them; as many validations as cores keeps the
    // pool free, and more would not run faster anyway.
    private readonly SemaphoreSlim _running = new(Math.Max(1, Environment.ProcessorCount));

    /// <summary><see cref="Validate"/> for request handlers: waits its turn without holding a thread.</summary>
    public async Task<OperationOutcome> ValidateAsync(Resource resource)
    {
        await _running.WaitAsync();
        try { return Validate(resource); }
        finally { _running.Release(); }
    }

    public OperationOutcome Validate(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);

        var engine = _engine.Value;
        var declared = resource.Meta?.Profile.OfType<string>().ToList() ?? [];
        var profile = declared.FirstOrDefault(p => _localProfileTypes.GetValueOrDefault(Unversioned(p)) == resource.TypeName)
            ?? ProfileOf(resource);
        var outcome = ValidateOnce(engine, resource, profile); // null profile: the core definition of the type

        for (var i = 0; i < declared.Count; i++)
        {
            if (Knows(engine.CoreProfiles, declared[i])) continue;
            outcome.Issue.Add(new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Information,
                Code = OperationOutcome.IssueType.NotSupported,
                Diagnostics = $"Profile {declared[i]} is not known to this hub and was not checked",
                Expression = [$"{resource.TypeName}.meta.profile[{i}]"],
            });
        }
        return outcome;
    }

    // Firely loads and converts a schema the first time a validation needs it, and two validations loading the same one
    // at once can fail with an error about the schema ("Failed to convert ElementDefinition … Index was out of range").
    // So a validation whose shape (type, profile, a Bundle's entry types) is new runs alone; once a shape has been
    // validated its schemas are cached and it runs alongside others.
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _shapesSeen = new(StringComparer.Ordinal);
    readonly Lock _firstLoad = new();

    OperationOutcome ValidateOnce(Engine engine, Resource resource, string? profile)
    {
        var shape = ShapeOf(resource, profile);
        if (_shapesSeen.ContainsKey(shape)) return engine.Validator.Validate(resource, profile);
        lock (_firstLoad)
        {
            var outcome = engine.Validator.Validate(resource, profile);
            _shapesSeen[shape] = true;
            return outcome;
        }
    }

    static string ShapeOf(Resource resource, string? profile) => resource is Bundle b
        ? "Bundle|" + string.Join(",", b.Entry.Select(e => e.Resource?.TypeName).OfType<string>().Distinct().Order(StringComparer.Ordinal))
        : resource.TypeName + "|" + profile;

    /// <summary>
    /// Pays the one-off cost (loading the specification, building snapshots, compiling the profiles) before a
    /// request has to. Safe to call more than once and alongside <see cref="Validate"/>.
    /// </summary>
    public Task WarmUpAsync(CancellationToken cancellationToken = default) => Task.Run(() =>
    {
        _ = _engine.Value; // the engine first: building it is most of the cost
        foreach (var type in ProfileFor.Keys.Append(nameof(Bundle)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ModelInfo.GetTypeForFhirType(type) is { } poco && Activator.CreateInstance(poco) is Resource empty)
                Validate(empty); // through the same first-load gate as requests
        }
    }, cancellationToken);

    private Engine BuildEngine()
    {
        var zip = Path.Combine(AppContext.BaseDirectory, "specification.zip");
        if (!File.Exists(zip))
            throw new FileNotFoundException("specification.zip is missing next to the binary; reference Hl7.Fhir.Specification.Data.R4", zip);

        var core = ZipSource.CreateValidationSource(zip);
        var coreProfiles = core.ListSummaries()
            .Where(s => s.ResourceTypeName == nameof(StructureDefinition))
            .Select(s => s.GetConformanceCanonicalUrl())
            .OfType<string>()
            .ToFrozenSet();

        // Our differentials get their snapshots here, once and on one thread: SnapshotGenerator is not thread-safe.
        var generator = new SnapshotGenerator(new MultiResolver(_local, core), SnapshotGeneratorSettings.CreateDefault());
        foreach (var sd in _localDefinitions.Where(sd => !sd.HasSnapshot))
        {
            generator.UpdateAsync(sd).GetAwaiter().GetResult();
            var failures = generator.Outcome?.Issue
                .Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
                .Select(i => i.Diagnostics ?? i.Details?.Text)
                .ToList();
            if (failures is { Count: > 0 })
                throw new InvalidOperationException($"Cannot build the snapshot of {sd.Url}: {string.Join("; ", failures)}");
        }

        var resolver = new CachedResolver(new MultiResolver(new InMemoryResourceResolver(_localDefinitions), _local, core));
        var terminology = new CachedTerminology(LocalTerminologyService.CreateDefaultForCore(resolver));
        var settings = new ValidationSettings
        {
            SelectValidationProfiles = (_, declared, input, _) => SelectProfiles(coreProfiles, declared, input),
            // One compiler for every validation: without it the validator builds a compiler and its table of FhirPath
            // functions for each resource it validates (a fortieth of the hub's CPU under the CRUD mix).
            FhirPathCompiler = new Hl7.FhirPath.FhirPathCompiler(FhirPathFunctions()),
        };

        // No IExternalReferenceResolver: references are never fetched, so validation never touches the network.
        return new Engine(new Validator(resolver, terminology, referenceResolver: null, settings), coreProfiles);
    }

    // Called for every resource the validator meets (top level, Bundle entries, contained): keep the declared
    // profiles we know, and add the CLA profile for the type unless one of ours for that type is declared.
    private Canonical[] SelectProfiles(FrozenSet<string> coreProfiles, Canonical[] declared, PocoNode input)
    {
        var selected = declared.Where(c => Knows(coreProfiles, c.Original)).ToList();
        if (input.Poco is Resource resource
            && ProfileOf(resource) is { } profile
            && !selected.Any(c => _localProfileTypes.GetValueOrDefault(Unversioned(c.Original)) == resource.TypeName))
        {
            selected.Add(new Canonical(profile));
        }
        return [.. selected];
    }

    private bool Knows(FrozenSet<string> coreProfiles, string canonical) =>
        _localProfileTypes.ContainsKey(Unversioned(canonical)) || coreProfiles.Contains(Unversioned(canonical));

    private static string Unversioned(string canonical) => canonical.Split('|')[0];

    private sealed record Engine(Validator Validator, FrozenSet<string> CoreProfiles);

    private static SymbolTable FhirPathFunctions() => new SymbolTable().AddStandardFP().AddFhirExtensions();
}

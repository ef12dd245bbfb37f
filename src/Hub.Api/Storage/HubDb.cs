using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Storage;

/// <summary>One model for both providers; each provider has its own subclass so each keeps its own migrations.</summary>
public abstract class HubDb : DbContext
{
    protected HubDb(DbContextOptions options) : base(options)
    {
        // Every write the hub makes is one explicit transaction that is rolled back whole when a save fails; EF's
        // savepoint around each SaveChanges (to keep a failed save's transaction usable) would only cost two more round
        // trips to the database per write. Set here, so a pooled context keeps it when it is reset.
        Database.AutoSavepointsEnabled = false;
    }

    public DbSet<ResourceRow> Resources => Set<ResourceRow>();
    public DbSet<ResourceVersionRow> Versions => Set<ResourceVersionRow>();
    public DbSet<TokenIndexRow> Tokens => Set<TokenIndexRow>();
    public DbSet<ReferenceIndexRow> References => Set<ReferenceIndexRow>();
    public DbSet<DateIndexRow> Dates => Set<DateIndexRow>();
    public DbSet<StringIndexRow> Strings => Set<StringIndexRow>();
    public DbSet<PatientFactsRow> PatientFacts => Set<PatientFactsRow>();
    public DbSet<KpiRecordRow> KpiRecords => Set<KpiRecordRow>();
    public DbSet<AuditRow> Audit => Set<AuditRow>();
    public DbSet<PostcodeIcbRow> PostcodeIcbs => Set<PostcodeIcbRow>();
    public DbSet<ImportJobRow> ImportJobs => Set<ImportJobRow>();
    public DbSet<NotificationDeliveryRow> NotificationDeliveries => Set<NotificationDeliveryRow>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<ResourceRow>(e =>
        {
            e.ToTable("resources");
            e.HasKey(r => new { r.Type, r.Id });
            e.Property(r => r.Type).HasMaxLength(64);
            e.Property(r => r.Id).HasMaxLength(64);
            e.Property(r => r.PatientId).HasMaxLength(64);
            e.Property(r => r.Version).IsConcurrencyToken();
            e.HasIndex(r => r.PatientId);
            e.HasIndex(r => new { r.Type, r.LastUpdated });
        });
        b.Entity<ResourceVersionRow>(e =>
        {
            e.ToTable("resource_versions");
            e.HasKey(r => new { r.Type, r.Id, r.Version });
            e.Property(r => r.Type).HasMaxLength(64);
            e.Property(r => r.Id).HasMaxLength(64);
            e.Property(r => r.Method).HasMaxLength(8);
        });
        b.Entity<TokenIndexRow>(e =>
        {
            e.ToTable("search_tokens");
            e.HasKey(r => new { r.Type, r.Id, r.Param, r.Code, r.System });
            e.HasIndex(r => new { r.Type, r.Param, r.Code, r.System });
        });
        b.Entity<ReferenceIndexRow>(e =>
        {
            e.ToTable("search_references");
            e.HasKey(r => new { r.Type, r.Id, r.Param, r.TargetType, r.TargetId });
            e.HasIndex(r => new { r.Type, r.Param, r.TargetId, r.TargetType });
        });
        b.Entity<DateIndexRow>(e =>
        {
            e.ToTable("search_dates");
            e.HasKey(r => new { r.Type, r.Id, r.Param, r.Start, r.End });
            e.HasIndex(r => new { r.Type, r.Param, r.Start });
        });
        b.Entity<StringIndexRow>(e =>
        {
            e.ToTable("search_strings");
            e.HasKey(r => new { r.Type, r.Id, r.Param, r.Value });
            e.HasIndex(r => new { r.Type, r.Param, r.Value });
        });
        b.Entity<KpiRecordRow>(e =>
        {
            e.ToTable("kpi_records");
            e.HasKey(r => new { r.Type, r.Id });
            e.Property(r => r.Type).HasMaxLength(64);
            e.Property(r => r.Id).HasMaxLength(64);
            e.Property(r => r.PatientId).HasMaxLength(64);
            e.Property(r => r.Kind).HasConversion<string>().HasMaxLength(16);
            e.HasIndex(r => r.PatientId);
        });
        b.Entity<PatientFactsRow>(e =>
        {
            e.ToTable("patient_facts");
            e.HasKey(r => r.PatientId);
            e.HasIndex(r => r.NhsNumber);
            e.HasIndex(r => r.ManagingLa);
            e.HasIndex(r => new { r.ManagingLa, r.LaChildId });
        });
        b.Entity<ImportJobRow>(e =>
        {
            e.ToTable("import_jobs");
            e.HasKey(r => r.Id);
        });
        b.Entity<NotificationDeliveryRow>(e =>
        {
            e.ToTable("notification_deliveries");
            e.HasKey(r => r.CommunicationId);
            e.Property(r => r.CommunicationId).HasMaxLength(64);
            e.HasIndex(r => r.DueAt);
        });
        b.Entity<AuditRow>(e =>
        {
            e.ToTable("audit_events");
            e.HasKey(r => r.Key);
            e.HasIndex(r => r.Id).IsUnique();
            e.HasIndex(r => new { r.PatientId, r.Recorded });
            e.HasIndex(r => new { r.AgentOrg, r.Recorded });
            e.HasIndex(r => r.Recorded);
        });
        b.Entity<PostcodeIcbRow>(e =>
        {
            e.ToTable("postcode_icb");
            e.HasKey(r => r.Prefix);
            e.Property(r => r.Prefix).HasMaxLength(16);
        });
    }
}

public sealed class SqliteHubDb(DbContextOptions<SqliteHubDb> options) : HubDb(options);

public sealed class PostgresHubDb(DbContextOptions<PostgresHubDb> options) : HubDb(options);

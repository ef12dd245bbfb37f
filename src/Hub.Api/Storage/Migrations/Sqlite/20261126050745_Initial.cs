using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Hub.Api.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "audit_events",
                columns: table => new
                {
                    Key = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Id = table.Column<string>(type: "TEXT", nullable: true),
                    Recorded = table.Column<DateTime>(type: "TEXT", nullable: false),
                    AgentOrg = table.Column<string>(type: "TEXT", nullable: false),
                    AgentType = table.Column<string>(type: "TEXT", nullable: false),
                    Purpose = table.Column<string>(type: "TEXT", nullable: true),
                    Action = table.Column<string>(type: "TEXT", nullable: false),
                    Outcome = table.Column<string>(type: "TEXT", nullable: false),
                    PatientId = table.Column<string>(type: "TEXT", nullable: true),
                    Json = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_audit_events", x => x.Key);
                });

            migrationBuilder.CreateTable(
                name: "patient_facts",
                columns: table => new
                {
                    PatientId = table.Column<string>(type: "TEXT", nullable: false),
                    NhsNumber = table.Column<string>(type: "TEXT", nullable: true),
                    ManagingLa = table.Column<string>(type: "TEXT", nullable: true),
                    RegisteredGp = table.Column<string>(type: "TEXT", nullable: true),
                    BirthDate = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    Sealed = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_patient_facts", x => x.PatientId);
                });

            migrationBuilder.CreateTable(
                name: "postcode_icb",
                columns: table => new
                {
                    Prefix = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Icb = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_postcode_icb", x => x.Prefix);
                });

            migrationBuilder.CreateTable(
                name: "resource_versions",
                columns: table => new
                {
                    Type = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false),
                    LastUpdated = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Deleted = table.Column<bool>(type: "INTEGER", nullable: false),
                    Method = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Json = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_resource_versions", x => new { x.Type, x.Id, x.Version });
                });

            migrationBuilder.CreateTable(
                name: "resources",
                columns: table => new
                {
                    Type = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false),
                    LastUpdated = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Deleted = table.Column<bool>(type: "INTEGER", nullable: false),
                    PatientId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Json = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_resources", x => new { x.Type, x.Id });
                });

            migrationBuilder.CreateTable(
                name: "search_dates",
                columns: table => new
                {
                    Key = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Type = table.Column<string>(type: "TEXT", nullable: false),
                    Id = table.Column<string>(type: "TEXT", nullable: true),
                    Param = table.Column<string>(type: "TEXT", nullable: false),
                    Start = table.Column<DateTime>(type: "TEXT", nullable: false),
                    End = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_search_dates", x => x.Key);
                });

            migrationBuilder.CreateTable(
                name: "search_references",
                columns: table => new
                {
                    Key = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Type = table.Column<string>(type: "TEXT", nullable: false),
                    Id = table.Column<string>(type: "TEXT", nullable: true),
                    Param = table.Column<string>(type: "TEXT", nullable: false),
                    TargetType = table.Column<string>(type: "TEXT", nullable: false),
                    TargetId = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_search_references", x => x.Key);
                });

            migrationBuilder.CreateTable(
                name: "search_strings",
                columns: table => new
                {
                    Key = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Type = table.Column<string>(type: "TEXT", nullable: false),
                    Id = table.Column<string>(type: "TEXT", nullable: true),
                    Param = table.Column<string>(type: "TEXT", nullable: false),
                    Value = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_search_strings", x => x.Key);
                });

            migrationBuilder.CreateTable(
                name: "search_tokens",
                columns: table => new
                {
                    Key = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Type = table.Column<string>(type: "TEXT", nullable: false),
                    Id = table.Column<string>(type: "TEXT", nullable: true),
                    Param = table.Column<string>(type: "TEXT", nullable: false),
                    System = table.Column<string>(type: "TEXT", nullable: true),
                    Code = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_search_tokens", x => x.Key);
                });

            migrationBuilder.CreateIndex(
                name: "IX_audit_events_AgentOrg_Recorded",
                table: "audit_events",
                columns: new[] { "AgentOrg", "Recorded" });

            migrationBuilder.CreateIndex(
                name: "IX_audit_events_Id",
                table: "audit_events",
                column: "Id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_audit_events_PatientId_Recorded",
                table: "audit_events",
                columns: new[] { "PatientId", "Recorded" });

            migrationBuilder.CreateIndex(
                name: "IX_audit_events_Recorded",
                table: "audit_events",
                column: "Recorded");

            migrationBuilder.CreateIndex(
                name: "IX_patient_facts_ManagingLa",
                table: "patient_facts",
                column: "ManagingLa");

            migrationBuilder.CreateIndex(
                name: "IX_patient_facts_NhsNumber",
                table: "patient_facts",
                column: "NhsNumber");

            migrationBuilder.CreateIndex(
                name: "IX_resources_PatientId",
                table: "resources",
                column: "PatientId");

            migrationBuilder.CreateIndex(
                name: "IX_resources_Type_LastUpdated",
                table: "resources",
                columns: new[] { "Type", "LastUpdated" });

            migrationBuilder.CreateIndex(
                name: "IX_search_dates_Type_Id",
                table: "search_dates",
                columns: new[] { "Type", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_search_dates_Type_Param_Start",
                table: "search_dates",
                columns: new[] { "Type", "Param", "Start" });

            migrationBuilder.CreateIndex(
                name: "IX_search_references_Type_Id",
                table: "search_references",
                columns: new[] { "Type", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_search_references_Type_Param_TargetId_TargetType",
                table: "search_references",
                columns: new[] { "Type", "Param", "TargetId", "TargetType" });

            migrationBuilder.CreateIndex(
                name: "IX_search_strings_Type_Id",
                table: "search_strings",
                columns: new[] { "Type", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_search_strings_Type_Param_Value",
                table: "search_strings",
                columns: new[] { "Type", "Param", "Value" });

            migrationBuilder.CreateIndex(
                name: "IX_search_tokens_Type_Id",
                table: "search_tokens",
                columns: new[] { "Type", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_search_tokens_Type_Param_Code_System",
                table: "search_tokens",
                columns: new[] { "Type", "Param", "Code", "System" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "audit_events");

            migrationBuilder.DropTable(
                name: "patient_facts");

            migrationBuilder.DropTable(
                name: "postcode_icb");

            migrationBuilder.DropTable(
                name: "resource_versions");

            migrationBuilder.DropTable(
                name: "resources");

            migrationBuilder.DropTable(
                name: "search_dates");

            migrationBuilder.DropTable(
                name: "search_references");

            migrationBuilder.DropTable(
                name: "search_strings");

            migrationBuilder.DropTable(
                name: "search_tokens");
        }
    }
}

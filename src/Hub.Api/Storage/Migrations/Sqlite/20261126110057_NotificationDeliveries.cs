using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Hub.Api.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class NotificationDeliveries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "notification_deliveries",
                columns: table => new
                {
                    CommunicationId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Created = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    DueAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LastFailure = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_notification_deliveries", x => x.CommunicationId);
                });

            migrationBuilder.CreateIndex(
                name: "IX_notification_deliveries_DueAt",
                table: "notification_deliveries",
                column: "DueAt");

            // Notifications written before this table existed and still in progress get their delivery row, due at once.
            migrationBuilder.Sql("""
                INSERT INTO notification_deliveries ("CommunicationId", "Created", "Attempts", "DueAt")
                SELECT t."Id", v."LastUpdated", 0, v."LastUpdated"
                FROM search_tokens t
                JOIN search_tokens c ON c."Type" = t."Type" AND c."Id" = t."Id" AND c."Param" = 'category'
                    AND c."System" = 'https://fhir.carehub.org.uk/CodeSystem/cla-notification' AND c."Code" = 'placement-out-of-area'
                JOIN resource_versions v ON v."Type" = t."Type" AND v."Id" = t."Id" AND v."Version" = 1
                WHERE t."Type" = 'Communication' AND t."Param" = 'status' AND t."Code" = 'in-progress'
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "notification_deliveries");
        }
    }
}

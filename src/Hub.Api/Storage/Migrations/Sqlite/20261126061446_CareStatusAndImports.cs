using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Hub.Api.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CareStatusAndImports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ContentHash",
                table: "resources",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "CareLeaverUntil",
                table: "patient_facts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LaChildId",
                table: "patient_facts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "LastPlacementEnded",
                table: "patient_facts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LastPlacementIcb",
                table: "patient_facts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "LookedAfter",
                table: "patient_facts",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "PlacementIcb",
                table: "patient_facts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SealedYear",
                table: "patient_facts",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "import_jobs",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", nullable: false),
                    La = table.Column<string>(type: "TEXT", nullable: false),
                    Year = table.Column<int>(type: "INTEGER", nullable: false),
                    State = table.Column<string>(type: "TEXT", nullable: false),
                    ChildrenDone = table.Column<int>(type: "INTEGER", nullable: false),
                    ChildrenTotal = table.Column<int>(type: "INTEGER", nullable: false),
                    Stage = table.Column<string>(type: "TEXT", nullable: false),
                    Created = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Finished = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ResultStatus = table.Column<int>(type: "INTEGER", nullable: true),
                    ResultJson = table.Column<string>(type: "TEXT", nullable: true),
                    Folder = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_import_jobs", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_patient_facts_ManagingLa_LaChildId",
                table: "patient_facts",
                columns: new[] { "ManagingLa", "LaChildId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "import_jobs");

            migrationBuilder.DropIndex(
                name: "IX_patient_facts_ManagingLa_LaChildId",
                table: "patient_facts");

            migrationBuilder.DropColumn(
                name: "ContentHash",
                table: "resources");

            migrationBuilder.DropColumn(
                name: "CareLeaverUntil",
                table: "patient_facts");

            migrationBuilder.DropColumn(
                name: "LaChildId",
                table: "patient_facts");

            migrationBuilder.DropColumn(
                name: "LastPlacementEnded",
                table: "patient_facts");

            migrationBuilder.DropColumn(
                name: "LastPlacementIcb",
                table: "patient_facts");

            migrationBuilder.DropColumn(
                name: "LookedAfter",
                table: "patient_facts");

            migrationBuilder.DropColumn(
                name: "PlacementIcb",
                table: "patient_facts");

            migrationBuilder.DropColumn(
                name: "SealedYear",
                table: "patient_facts");
        }
    }
}

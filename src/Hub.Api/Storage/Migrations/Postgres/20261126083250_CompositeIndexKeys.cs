using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Hub.Api.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CompositeIndexKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // "No system" becomes empty before System joins the key (a key column cannot be null).
            migrationBuilder.Sql("UPDATE search_tokens SET \"System\" = '' WHERE \"System\" IS NULL;");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_tokens",
                table: "search_tokens");

            migrationBuilder.DropIndex(
                name: "IX_search_tokens_Type_Id",
                table: "search_tokens");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_strings",
                table: "search_strings");

            migrationBuilder.DropIndex(
                name: "IX_search_strings_Type_Id",
                table: "search_strings");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_references",
                table: "search_references");

            migrationBuilder.DropIndex(
                name: "IX_search_references_Type_Id",
                table: "search_references");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_dates",
                table: "search_dates");

            migrationBuilder.DropIndex(
                name: "IX_search_dates_Type_Id",
                table: "search_dates");

            migrationBuilder.DropColumn(
                name: "Key",
                table: "search_tokens");

            migrationBuilder.DropColumn(
                name: "Key",
                table: "search_strings");

            migrationBuilder.DropColumn(
                name: "Key",
                table: "search_references");

            migrationBuilder.DropColumn(
                name: "Key",
                table: "search_dates");

            migrationBuilder.AlterColumn<string>(
                name: "System",
                table: "search_tokens",
                type: "text",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "text",
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_tokens",
                type: "text",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "text",
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_strings",
                type: "text",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "text",
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_references",
                type: "text",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "text",
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_dates",
                type: "text",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "text",
                oldNullable: true);

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_tokens",
                table: "search_tokens",
                columns: new[] { "Type", "Id", "Param", "Code", "System" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_strings",
                table: "search_strings",
                columns: new[] { "Type", "Id", "Param", "Value" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_references",
                table: "search_references",
                columns: new[] { "Type", "Id", "Param", "TargetType", "TargetId" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_dates",
                table: "search_dates",
                columns: new[] { "Type", "Id", "Param", "Start", "End" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_search_tokens",
                table: "search_tokens");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_strings",
                table: "search_strings");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_references",
                table: "search_references");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_dates",
                table: "search_dates");

            migrationBuilder.AlterColumn<string>(
                name: "System",
                table: "search_tokens",
                type: "text",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "text");

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_tokens",
                type: "text",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "text");

            migrationBuilder.AddColumn<long>(
                name: "Key",
                table: "search_tokens",
                type: "bigint",
                nullable: false,
                defaultValue: 0L)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_strings",
                type: "text",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "text");

            migrationBuilder.AddColumn<long>(
                name: "Key",
                table: "search_strings",
                type: "bigint",
                nullable: false,
                defaultValue: 0L)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_references",
                type: "text",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "text");

            migrationBuilder.AddColumn<long>(
                name: "Key",
                table: "search_references",
                type: "bigint",
                nullable: false,
                defaultValue: 0L)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_dates",
                type: "text",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "text");

            migrationBuilder.AddColumn<long>(
                name: "Key",
                table: "search_dates",
                type: "bigint",
                nullable: false,
                defaultValue: 0L)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn);

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_tokens",
                table: "search_tokens",
                column: "Key");

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_strings",
                table: "search_strings",
                column: "Key");

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_references",
                table: "search_references",
                column: "Key");

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_dates",
                table: "search_dates",
                column: "Key");

            migrationBuilder.CreateIndex(
                name: "IX_search_tokens_Type_Id",
                table: "search_tokens",
                columns: new[] { "Type", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_search_strings_Type_Id",
                table: "search_strings",
                columns: new[] { "Type", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_search_references_Type_Id",
                table: "search_references",
                columns: new[] { "Type", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_search_dates_Type_Id",
                table: "search_dates",
                columns: new[] { "Type", "Id" });
        }
    }
}

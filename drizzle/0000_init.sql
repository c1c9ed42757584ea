CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant" text NOT NULL,
	"name" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "environments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant" text NOT NULL,
	"name" text NOT NULL,
	"deploy_generation" bigint,
	"epoch" bigint DEFAULT 0 NOT NULL,
	"holder" text,
	"upper" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"fenced_at" timestamp with time zone,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "fences" (
	"environment_id" uuid NOT NULL,
	"epoch" bigint NOT NULL,
	"deploy_generation" bigint NOT NULL,
	"holder" text NOT NULL,
	"upper" bigint NOT NULL,
	"fenced_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fences_environment_id_epoch_pk" PRIMARY KEY("environment_id","epoch")
);
--> statement-breakpoint
CREATE TABLE "log_entries" (
	"environment_id" uuid NOT NULL,
	"offset" bigint NOT NULL,
	"data" text NOT NULL,
	"deploy_generation" bigint NOT NULL,
	"epoch" bigint NOT NULL,
	"appended_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "log_entries_environment_id_offset_pk" PRIMARY KEY("environment_id","offset")
);
--> statement-breakpoint
ALTER TABLE "fences" ADD CONSTRAINT "fences_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "log_entries" ADD CONSTRAINT "log_entries_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_key_hash_idx" ON "api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "api_keys_tenant_idx" ON "api_keys" USING btree ("tenant");--> statement-breakpoint
CREATE UNIQUE INDEX "environments_tenant_name_idx" ON "environments" USING btree ("tenant","name");
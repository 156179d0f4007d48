//! The store's narrow traits on DynamoDB, one impl per record family, over the key design
//! and the item helpers of the parent module.

use super::*;

#[async_trait]
impl IntegrationStore for DynamoStore {
    async fn create_integration(
        &self,
        integration: &Integration,
    ) -> Result<Integration, StoreError> {
        let mut stored = integration.clone();
        stored.version = 1;
        let created = self
            .conditional_put(
                integration_item(&stored)?,
                "attribute_not_exists(pk)",
                HashMap::new(),
                &format!("creating integration '{}'", integration.id),
            )
            .await?;
        if created {
            Ok(stored)
        } else {
            Err(StoreError::AlreadyExists(format!(
                "integration '{}'",
                integration.id
            )))
        }
    }

    async fn update_integration(
        &self,
        integration: &Integration,
    ) -> Result<Integration, StoreError> {
        let mut stored = integration.clone();
        stored.version = integration.version + 1;
        let updated = self
            .conditional_put(
                integration_item(&stored)?,
                "attribute_exists(pk) AND version = :expected",
                values([(":expected", n(integration.version))]),
                &format!("updating integration '{}'", integration.id),
            )
            .await?;
        if updated {
            return Ok(stored);
        }
        let what = format!("integration '{}'", integration.id);
        match self
            .get_item(INTEGRATIONS_PK, &integration_sk(&integration.id))
            .await?
        {
            Some(_) => Err(StoreError::Conflict(what)),
            None => Err(StoreError::NotFound(what)),
        }
    }

    async fn get_integration(&self, id: &str) -> Result<Option<Integration>, StoreError> {
        match self.get_item(INTEGRATIONS_PK, &integration_sk(id)).await? {
            Some(item) => integration_from(&item).map(Some),
            None => Ok(None),
        }
    }

    async fn list_integrations(
        &self,
        dbt_project: Option<&str>,
    ) -> Result<Vec<Integration>, StoreError> {
        let mut out = Vec::new();
        for item in self.query_prefix(INTEGRATIONS_PK, "INTEGRATION#").await? {
            let integration = integration_from(&item)?;
            if dbt_project.is_none_or(|p| p == integration.dbt_project) {
                out.push(integration);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn delete_integration(&self, id: &str) -> Result<bool, StoreError> {
        let sk = integration_sk(id);
        if self.get_item(INTEGRATIONS_PK, &sk).await?.is_none() {
            return Ok(false);
        }
        // Each partition of the integration, with the sort-key prefix its items share.
        let partitions = [
            (snapshot_pk(id), "META"),
            (snapshot_pk(id), "WB#"),
            (exposures_pk(id), "WB#"),
            (lease_pk(id), "LEASE"),
            (runs_pk(id), "RUN#"),
            (refreshes_pk(id), "REFRESH#"),
        ];
        let mut requests = Vec::new();
        for (pk, prefix) in &partitions {
            for item in self.query_prefix(pk, prefix).await? {
                requests.push(delete(pk, &item.string("sk", "integration record")?)?);
            }
        }
        // The settings last (batches are written in order), so a removal cut short
        // leaves the integration to remove again rather than records no id reaches.
        requests.push(delete(INTEGRATIONS_PK, &sk)?);
        self.write_batch(requests, &format!("the records of integration '{id}'"))
            .await?;
        Ok(true)
    }
}

#[async_trait]
impl SnapshotStore for DynamoStore {
    async fn get_snapshot(&self, integration_id: &str) -> Result<Option<Snapshot>, StoreError> {
        let pk = snapshot_pk(integration_id);
        let Some(meta) = self.get_item(&pk, "META").await? else {
            return Ok(None);
        };
        let taken_at = meta.string("taken_at", "snapshot header")?;
        // Items come in sort-key (LUID) order; `pos`, where present, overrides it.
        let mut positioned = Vec::new();
        for item in self.query_prefix(&pk, "WB#").await? {
            let pos: Option<u64> = item.optional_number("pos", "snapshot workbook")?;
            positioned.push((pos, item.json("data", "snapshot workbook")?));
        }
        positioned.sort_by_key(|(pos, _)| *pos);
        Ok(Some(Snapshot {
            integration_id: integration_id.to_string(),
            taken_at,
            workbooks: positioned.into_iter().map(|(_, wb)| wb).collect(),
        }))
    }

    async fn put_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let pk = snapshot_pk(&snapshot.integration_id);
        let mut stored: HashMap<String, (String, Option<u64>)> = HashMap::new();
        for item in self.query_prefix(&pk, "WB#").await? {
            let sk = item.string("sk", "snapshot workbook")?;
            let data = item.string("data", "snapshot workbook")?;
            let pos = item.optional_number("pos", "snapshot workbook")?;
            stored.insert(sk, (data, pos));
        }
        // A listing in LUID order (the pipeline's) needs no `pos`: the sort key keeps
        // that order, and removing one workbook then rewrites no other.
        let luid_order = snapshot
            .workbooks
            .windows(2)
            .all(|pair| pair[0].luid < pair[1].luid);
        // Last occurrence of a LUID wins, as a map would have it; one request per key.
        let mut wanted: BTreeMap<String, (String, Option<u64>)> = BTreeMap::new();
        for (pos, workbook) in snapshot.workbooks.iter().enumerate() {
            let what = format!("workbook '{}'", workbook.luid);
            let pos = (!luid_order).then_some(pos as u64);
            wanted.insert(
                workbook_sk(&workbook.luid),
                (to_json(workbook, &what)?, pos),
            );
        }
        let mut requests = Vec::new();
        for (sk, (data, pos)) in &wanted {
            if stored.get(sk) == Some(&(data.clone(), *pos)) {
                continue;
            }
            let mut item = values([("pk", s(&pk)), ("sk", s(sk)), ("data", s(data))]);
            if let Some(pos) = pos {
                item.insert("pos".into(), n(pos));
            }
            let what = format!(
                "snapshot workbook {sk} of integration '{}'",
                snapshot.integration_id
            );
            requests.push(put(items::checked_size(item, &what)?)?);
        }
        for sk in stored.keys().filter(|sk| !wanted.contains_key(*sk)) {
            requests.push(delete(&pk, sk)?);
        }
        let what = format!("the snapshot of integration '{}'", snapshot.integration_id);
        self.write_batch(requests, &what).await?;

        // The header goes last: it names the snapshot complete as of `taken_at`.
        let meta = self.get_item(&pk, "META").await?;
        let count = wanted.len() as u64;
        let unchanged = meta.as_ref().is_some_and(|m| {
            m.optional_string("taken_at").as_deref() == Some(snapshot.taken_at.as_str())
                && m.optional_number::<u64>("workbooks", "snapshot header")
                    .ok()
                    == Some(Some(count))
        });
        if !unchanged {
            let header = values([
                ("pk", s(&pk)),
                ("sk", s("META")),
                ("taken_at", s(&snapshot.taken_at)),
                ("workbooks", n(count)),
            ]);
            self.write_batch(vec![put(header)?], &what).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl ManifestStore for DynamoStore {
    async fn get_applied_manifest(
        &self,
        dbt_project: &str,
    ) -> Result<Option<AppliedManifest>, StoreError> {
        let Some(item) = self.get_item(&manifest_pk(dbt_project), "APPLIED").await? else {
            return Ok(None);
        };
        let what = "applied-manifest pointer";
        Ok(Some(AppliedManifest {
            dbt_project: dbt_project.to_string(),
            location: ArtifactLocation {
                container: item.optional_string("bucket"),
                key: item.string("key", what)?,
                version: item.optional_string("version_id"),
            },
            generated_at: item.string("generated_at", what)?,
            invocation_id: item.string("invocation_id", what)?,
            applied_at: item.string("applied_at", what)?,
        }))
    }

    async fn put_applied_manifest(
        &self,
        manifest: &AppliedManifest,
        previous: Option<&AppliedManifest>,
    ) -> Result<(), StoreError> {
        let mut item = values([
            ("pk", s(manifest_pk(&manifest.dbt_project))),
            ("sk", s("APPLIED")),
            ("key", s(&manifest.location.key)),
            ("generated_at", s(&manifest.generated_at)),
            ("invocation_id", s(&manifest.invocation_id)),
            ("applied_at", s(&manifest.applied_at)),
        ]);
        // The location keeps S3's names here: the container is the bucket.
        if let Some(bucket) = &manifest.location.container {
            item.insert("bucket".into(), s(bucket));
        }
        if let Some(version_id) = &manifest.location.version {
            item.insert("version_id".into(), s(version_id));
        }
        let (condition, vals) = match previous {
            None => ("attribute_not_exists(pk)", HashMap::new()),
            Some(prev) => (
                "invocation_id = :inv AND generated_at = :gen",
                values([
                    (":inv", s(&prev.invocation_id)),
                    (":gen", s(&prev.generated_at)),
                ]),
            ),
        };
        let what = format!(
            "the applied-manifest pointer of dbt project '{}'",
            manifest.dbt_project
        );
        if self
            .conditional_put(item, condition, vals, &format!("writing {what}"))
            .await?
        {
            Ok(())
        } else {
            Err(StoreError::Conflict(what))
        }
    }
}

#[async_trait]
impl ExposureStore for DynamoStore {
    async fn list_exposures(
        &self,
        integration_id: &str,
    ) -> Result<Vec<StoredExposure>, StoreError> {
        let mut out = Vec::new();
        for item in self
            .query_prefix(&exposures_pk(integration_id), "WB#")
            .await?
        {
            out.push(StoredExposure {
                integration_id: integration_id.to_string(),
                exposure: item.json("data", "exposure")?,
                synced_at: item.string("synced_at", "exposure")?,
            });
        }
        out.sort_by(|a, b| {
            (&a.exposure.name, &a.exposure.workbook_luid)
                .cmp(&(&b.exposure.name, &b.exposure.workbook_luid))
        });
        Ok(out)
    }

    async fn apply_exposure_diff(
        &self,
        integration_id: &str,
        diff: &ExposureDiff,
        synced_at: &str,
    ) -> Result<(), StoreError> {
        if diff.is_empty() {
            return Ok(());
        }
        let pk = exposures_pk(integration_id);
        // BatchWriteItem refuses two requests for one key: keep the last per LUID,
        // upserts first, then removals.
        let mut requests: BTreeMap<String, WriteRequest> = BTreeMap::new();
        for exposure in &diff.upserts {
            let sk = workbook_sk(&exposure.workbook_luid);
            let what = format!(
                "exposure '{}' of integration '{integration_id}'",
                exposure.name
            );
            let item = items::checked_size(
                values([
                    ("pk", s(&pk)),
                    ("sk", s(&sk)),
                    ("data", s(to_json(exposure, &what)?)),
                    ("name", s(&exposure.name)),
                    ("synced_at", s(synced_at)),
                ]),
                &what,
            )?;
            requests.insert(sk, put(item)?);
        }
        for luid in &diff.removals {
            let sk = workbook_sk(luid);
            let request = delete(&pk, &sk)?;
            requests.insert(sk, request);
        }
        let what = format!("the exposures of integration '{integration_id}'");
        self.write_batch(requests.into_values().collect(), &what)
            .await
    }
}

#[async_trait]
impl LeaseStore for DynamoStore {
    async fn try_acquire_lease(&self, lease: &Lease, now: &str) -> Result<bool, StoreError> {
        let item = values([
            ("pk", s(lease_pk(&lease.integration_id))),
            ("sk", s("LEASE")),
            ("holder", s(&lease.holder)),
            ("expires_at", s(&lease.expires_at)),
            ("acquired_at", s(&lease.acquired_at)),
        ]);
        self.conditional_put(
            item,
            "attribute_not_exists(pk) OR expires_at <= :now OR holder = :holder",
            values([(":now", s(now)), (":holder", s(&lease.holder))]),
            &format!("taking the lease of integration '{}'", lease.integration_id),
        )
        .await
    }

    async fn release_lease(&self, integration_id: &str, holder: &str) -> Result<(), StoreError> {
        self.lease_writes.fetch_add(1, Ordering::SeqCst);
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(&lease_pk(integration_id), "LEASE")))
            .condition_expression("holder = :holder")
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(self.backend(
                &format!("releasing the lease of integration '{integration_id}'"),
                err,
            )),
        }
    }

    async fn get_lease(&self, integration_id: &str) -> Result<Option<Lease>, StoreError> {
        let item = self.get_item(&lease_pk(integration_id), "LEASE").await?;
        item.map(|item| lease_from(integration_id, &item))
            .transpose()
    }

    async fn break_lease(&self, integration_id: &str) -> Result<Option<Lease>, StoreError> {
        self.lease_writes.fetch_add(1, Ordering::SeqCst);
        let removed = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(&lease_pk(integration_id), "LEASE")))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|err| {
                self.backend(
                    &format!("breaking the lease of integration '{integration_id}'"),
                    err,
                )
            })?;
        removed
            .attributes
            .map(|item| lease_from(integration_id, &item))
            .transpose()
    }
}

fn lease_from(integration_id: &str, item: &Item) -> Result<Lease, StoreError> {
    Ok(Lease {
        integration_id: integration_id.to_string(),
        holder: item.string("holder", "lease")?,
        expires_at: item.string("expires_at", "lease")?,
        acquired_at: item.optional_string("acquired_at").unwrap_or_default(),
    })
}

#[async_trait]
impl RunStore for DynamoStore {
    async fn record_run(&self, run: &SyncRun) -> Result<(), StoreError> {
        let what = format!(
            "run '{}' of integration '{}'",
            run.run_id, run.integration_id
        );
        let item = values([
            ("pk", s(runs_pk(&run.integration_id))),
            ("sk", s(run_sk(run))),
            ("data", s(to_json(run, &what)?)),
            (TTL_ATTRIBUTE, n(epoch_secs() + RUN_RETENTION_SECS)),
        ]);
        self.count_writes(1);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| self.backend(&format!("recording {what}"), e))?;
        Ok(())
    }

    async fn list_runs(
        &self,
        integration_id: &str,
        limit: usize,
    ) -> Result<Vec<SyncRun>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let pk = runs_pk(integration_id);
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        while out.len() < limit {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(&pk))
                .expression_attribute_values(":prefix", s("RUN#"))
                .scan_index_forward(false)
                .limit(i32::try_from(limit - out.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| {
                    self.backend(
                        &format!("listing the runs of integration '{integration_id}'"),
                        e,
                    )
                })?;
            for item in page.items.unwrap_or_default() {
                out.push(item.json("data", "sync run")?);
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        out.truncate(limit);
        Ok(out)
    }
}

#[async_trait]
impl ResultsStore for DynamoStore {
    async fn get_results_pointer(
        &self,
        dbt_project: &str,
        kind: ResultsKind,
    ) -> Result<Option<ResultsPointer>, StoreError> {
        let sk = format!("POINTER#{}", kind.as_str());
        match self.get_item(&results_pk(dbt_project), &sk).await? {
            Some(item) => Ok(Some(item.json("data", "results pointer")?)),
            None => Ok(None),
        }
    }

    async fn put_node_results(
        &self,
        pointer: &ResultsPointer,
        previous: Option<&ResultsPointer>,
        results: &[NodeResult],
    ) -> Result<(), StoreError> {
        let pk = results_pk(&pointer.dbt_project);
        let mut requests = Vec::with_capacity(results.len());
        for result in results {
            let sk = format!("NODE#{}#{}", result.kind.as_str(), result.unique_id);
            let mut item = key(&pk, &sk);
            item.insert(
                "data".into(),
                s(to_json(result, &format!("result of {}", result.unique_id))?),
            );
            requests.push(put(item)?);
        }
        if !requests.is_empty() {
            self.write_batch(
                requests,
                &format!("results of dbt project '{}'", pointer.dbt_project),
            )
            .await?;
        }
        let mut item = key(&pk, &format!("POINTER#{}", pointer.kind.as_str()));
        item.insert("data".into(), s(to_json(pointer, "results pointer")?));
        item.insert("generated_at".into(), s(&pointer.generated_at));
        item.insert("invocation_id".into(), s(&pointer.invocation_id));
        let (condition, vals) = match previous {
            None => ("attribute_not_exists(pk)", HashMap::new()),
            Some(prev) => (
                "invocation_id = :inv AND generated_at = :gen",
                values([
                    (":inv", s(&prev.invocation_id)),
                    (":gen", s(&prev.generated_at)),
                ]),
            ),
        };
        let what = format!(
            "the recorded {} of dbt project '{}'",
            pointer.kind.file_name(),
            pointer.dbt_project
        );
        if self
            .conditional_put(item, condition, vals, &format!("writing {what}"))
            .await?
        {
            Ok(())
        } else {
            Err(StoreError::Conflict(what))
        }
    }

    async fn list_node_results(&self, dbt_project: &str) -> Result<Vec<NodeResult>, StoreError> {
        let mut out: Vec<NodeResult> = Vec::new();
        for item in self.query_prefix(&results_pk(dbt_project), "NODE#").await? {
            out.push(item.json("data", "node result")?);
        }
        out.sort_by(|a, b| (&a.unique_id, a.kind).cmp(&(&b.unique_id, b.kind)));
        Ok(out)
    }
}

#[async_trait]
impl RefreshStore for DynamoStore {
    async fn get_refresh(
        &self,
        integration_id: &str,
        kind: RefreshTargetKind,
        luid: &str,
    ) -> Result<Option<RefreshRecord>, StoreError> {
        match self
            .get_item(&refreshes_pk(integration_id), &refresh_sk(kind, luid))
            .await?
        {
            Some(item) => Ok(Some(item.json("data", "refresh record")?)),
            None => Ok(None),
        }
    }

    async fn put_refresh(&self, record: &RefreshRecord) -> Result<(), StoreError> {
        let mut item = key(
            &refreshes_pk(&record.integration_id),
            &refresh_sk(record.target.kind, &record.target.luid),
        );
        item.insert("data".into(), s(to_json(record, "refresh record")?));
        self.write_batch(
            vec![put(item)?],
            &format!("the refresh record of {}", record.target.luid),
        )
        .await
    }

    async fn list_refreshes(&self, integration_id: &str) -> Result<Vec<RefreshRecord>, StoreError> {
        let mut out: Vec<RefreshRecord> = Vec::new();
        for item in self
            .query_prefix(&refreshes_pk(integration_id), "REFRESH#")
            .await?
        {
            out.push(item.json("data", "refresh record")?);
        }
        out.sort_by(|a, b| (a.target.kind, &a.target.luid).cmp(&(b.target.kind, &b.target.luid)));
        Ok(out)
    }
}
